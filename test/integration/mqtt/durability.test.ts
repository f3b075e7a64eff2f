import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceLink } from '../../../sdk/mqtt/device-link.ts';
import { DurableQueue } from '../../../sdk/mqtt/durable-queue.ts';
import { deviceTopics } from '../../../sdk/mqtt/topics.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';
import { Collector } from '../../helpers/mqtt-collector.ts';
import { DeviceProcess } from '../../helpers/device-process.ts';

const skip = hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForAsync(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Every id must always come with the same bytes: a redelivery, never a different decision. */
function checkDeliveries(sub: Collector, topic: string): Map<string, string> {
  const byId = new Map<string, string>();
  for (const m of sub.on(topic)) {
    const text = m.payload.toString('utf8');
    const id = (JSON.parse(text) as { id: string }).id;
    const prev = byId.get(id);
    if (prev !== undefined) assert.equal(text, prev, `id ${id} delivered as two different decisions`);
    byId.set(id, text);
  }
  return byId;
}

test('broker SIGKILLed and restarted 5 times during 1,000 decisions: none lost, no id reused', { skip, timeout: 90_000 }, async () => {
  const broker = await Mosquitto.start({ autosaveIntervalS: 1 });
  const dir = await mkdtemp(join(tmpdir(), 'fg-dur-'));
  const t = deviceTopics('hq', 'door-1');
  // Persistent session: the broker keeps decisions for the subscriber while it reconnects.
  // autosave_interval 1: what Mosquitto accepted in the last ~2 s before a SIGKILL may be lost on
  // its side; the link's redelivery window (3 s) covers it by sending those decisions again.
  const sub = await Collector.start(broker.url, [t.decision], { persistent: 'fg-test-consumer' });
  const link = await DeviceLink.start({
    // The device is not killed here: crash-safe 'normal' sync is enough and spares 1,000 fsyncs.
    // reconnectMaxMs = the period: no backoff growth, so the link sees each of the 5 quick outages.
    broker: { url: broker.url, reconnectPeriodMs: 150, reconnectMaxMs: 150 }, site: 'hq', device: 'door-1', decisions: { queuePath: join(dir, 'queue.db'), queue: { synchronous: 'normal' }, redeliverWindowMs: 3000 },
  });
  let offline = 0;
  link.on('offline', () => offline++);
  try {
    // Make the broker persist the consumer's session (a clean stop saves it) before the kills:
    // a consumer that exists before the outage must keep its subscription through it.
    const resumed = new Promise<boolean>((r) => sub.client.once('connect', (p) => r(p.sessionPresent === true)));
    await broker.stop();
    await broker.restart();
    assert.ok(await resumed, 'consumer session restored from persistence');
    const ids: string[] = [];
    let kills = 0;
    for (let i = 0; i < 1000; i++) {
      ids.push(link.publishDecision({ decision: 'grant', identity: `p${i % 13}`, distance: 0.7, threshold: 0.95, model: 'fr-feature-512' }).id);
      if (i % 180 === 90 && kills < 5) {
        await broker.kill();
        kills++;
        await sleep(150); // decisions made while the broker is down stay in the queue
      } else if (!broker.running) {
        await broker.restart();
      }
      if (i % 10 === 0) await sleep(8);
    }
    if (!broker.running) await broker.restart();
    assert.equal(kills, 5);
    const got = () => new Set(sub.on(t.decision).map((m) => (JSON.parse(m.payload.toString()) as { id: string }).id));
    await sub.until(() => got().size >= 1000, 40_000, 'all 1,000 decisions').catch((e: Error) => {
      const g = got();
      const missing = ids.map((id, i) => (g.has(id) ? -1 : i)).filter((i) => i >= 0);
      throw new Error(`${e.message}: missing indices ${missing.join(',')}; queued ${link.queued}; connected ${link.connected}; broker log ${broker.log.slice(-1500)}`);
    });
    assert.ok(await link.flush(10_000), 'queue drained');
    const byId = checkDeliveries(sub, t.decision);
    assert.equal(byId.size, 1000);
    for (const id of ids) assert.ok(byId.has(id), `decision ${id} lost`);
    assert.ok(offline >= 5, `link saw ${offline} outages`);
    console.log(`# 1,000 decisions, 5 broker SIGKILLs: ${sub.on(t.decision).length} deliveries (${sub.on(t.decision).length - 1000} duplicates; ${link.redeliveredCount} re-sent after a drop), 0 lost`);
  } finally {
    await link.close();
    await sub.close();
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});

test('device SIGKILLed with queued decisions: replayed after restart', { skip, timeout: 60_000 }, async () => {
  const broker = await Mosquitto.start();
  const dir = await mkdtemp(join(tmpdir(), 'fg-dev-'));
  const t = deviceTopics('hq', 'door-2');
  const queuePath = join(dir, 'queue.db');
  const sub = await Collector.start(broker.url, [t.decision, t.status], { persistent: 'fg-test-consumer-2' });
  let child: DeviceProcess | undefined;
  try {
    // 1. Broker down: decisions can only go to the queue. Kill the device with them queued.
    await broker.stop();
    child = await DeviceProcess.start({ url: broker.url, site: 'hq', device: 'door-2', queuePath });
    child.decide(40);
    await child.waitDecided(40);
    const offlineIds = [...child.decided];
    await child.kill();
    const q = DurableQueue.open(queuePath);
    assert.equal(q.size(), 40, 'all 40 decisions on disk after SIGKILL');
    q.close();

    // 2. Broker up, device killed in the middle of a burst.
    await broker.restart();
    child = await DeviceProcess.start({ url: broker.url, site: 'hq', device: 'door-2', queuePath });
    const c2 = child;
    await waitForAsync(async () => (await c2.stats()).connected, 10_000, 'device connected');
    child.decide(300);
    await child.waitDecided(120);
    await child.kill();
    const burstIds = [...child.decided];

    // 3. Restart: the queue is replayed.
    child = await DeviceProcess.start({ url: broker.url, site: 'hq', device: 'door-2', queuePath });
    const expected = [...offlineIds, ...burstIds];
    await sub.until(() => {
      const got = new Set(sub.json<{ id: string }>(t.decision).map((m) => m.id));
      return expected.every((id) => got.has(id));
    }, 20_000, 'replayed decisions');
    const c3 = child;
    await waitForAsync(async () => (await c3.stats()).queued === 0, 10_000, 'queue drained after replay');
    checkDeliveries(sub, t.decision);
    // The SIGKILL left the LWT: the status went offline, then online again.
    const states = sub.json<{ state: string }>(t.status).map((s) => s.state);
    assert.ok(states.includes("offline") && states.at(-1) === "online", `status sequence ${states.join(',')}`);
  } finally {
    await child?.close();
    await sub.close();
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
