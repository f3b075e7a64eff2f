/**
 * The lazy-persistence crash (issue 19): Mosquitto with autosave_interval 300 and a persistent
 * QoS 1 consumer that is away for a while; the broker is SIGKILLed after PUBACKing decisions it
 * had only in memory. The consumer sees the sequence gap, asks the device to replay since the last
 * seq it holds, and ends with every decision; duplicates keep their id and bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { DeviceLink } from '../../../sdk/mqtt/device-link.ts';
import { deviceTopics } from '../../../sdk/mqtt/topics.ts';
import { DecisionGapTracker } from '../../../sdk/mqtt/decision-gaps.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';

const skip = hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

test('broker SIGKILLed with decisions only in memory: the consumer detects the gap and the replay recovers every id', { skip, timeout: 120_000 }, async () => {
  const broker = await Mosquitto.start({ autosaveIntervalS: 300 });
  const dir = await mkdtemp(join(tmpdir(), 'fg-replay-'));
  const t = deviceTopics('hq', 'door-1');
  const byId = new Map<string, string>();
  const seqOf = new Map<string, number>();
  const tracker = new DecisionGapTracker();
  const results: { ok: boolean; result?: { replayed: number } }[] = [];
  let consumer: mqtt.MqttClient | undefined;
  const connectConsumer = async () => {
    const c = mqtt.connect(broker.url, { clean: false, clientId: 'fg-replay-consumer', reconnectPeriod: 100 });
    c.on('connect', (ack) => {
      // A broker that lost the session forgets the subscription: subscribe again.
      if (!ack.sessionPresent) c.subscribe([t.decision, t.commandResult('replay')], { qos: 1 });
      // On every (re)connect: ask for anything after the newest seq held (trailing gaps).
      const since = tracker.replaySince();
      if (since !== null) c.publish(t.command('replay'), JSON.stringify({ txn: `r${Date.now()}`, args: { since } }), { qos: 1 });
    });
    c.on('message', (topic, payload) => {
      if (topic === t.commandResult('replay')) { results.push(JSON.parse(payload.toString()) as { ok: boolean }); return; }
      const text = payload.toString('utf8');
      const m = JSON.parse(text) as { id: string; seq: number; stream: string };
      const prev = byId.get(m.id);
      if (prev !== undefined) assert.equal(text, prev, `id ${m.id} arrived as two different decisions`);
      byId.set(m.id, text);
      if (seqOf.has(m.id)) assert.equal(seqOf.get(m.id), m.seq, 'a duplicate keeps its seq');
      seqOf.set(m.id, m.seq);
      const gap = tracker.observe(m.stream, m.seq);
      if (gap) c.publish(t.command('replay'), JSON.stringify({ txn: `g${m.seq}`, args: { since: gap.since } }), { qos: 1 });
    });
    await new Promise<void>((r) => c.once('connect', () => r()));
    await c.subscribeAsync([t.decision, t.commandResult('replay')], { qos: 1 });
    return c;
  };
  const link = await DeviceLink.start({
    broker: { url: broker.url, reconnectPeriodMs: 200 }, site: 'hq', device: 'door-1',
    // redeliverWindowMs 0: no resend-on-drop guessing; recovery must come from the replay.
    decisions: { queuePath: join(dir, 'decision-queue.sqlite'), queue: { synchronous: 'normal' }, redeliverWindowMs: 0 },
  });
  const sent: string[] = [];
  const decide = (i: number) => sent.push(link.publishDecision({ decision: 'grant', identity: `p${i % 7}`, distance: 0.6, threshold: 0.95, model: 'mobilefacenet-192' }).id);
  try {
    consumer = await connectConsumer();
    for (let i = 0; i < 8; i++) decide(i);
    await until(() => byId.size === 8, 15_000, 'the first 8 decisions');
    // The consumer goes away; the broker holds the next decisions for its session, in memory only.
    await consumer.endAsync();
    for (let i = 8; i < 28; i++) { decide(i); await sleep(20); }
    await until(() => link.queued === 0, 15_000, 'every decision PUBACKed');
    await broker.kill();
    await broker.restart();
    await until(() => link.connected, 15_000, 'device reconnected');
    for (let i = 28; i < 34; i++) decide(i);
    await until(() => link.queued === 0, 15_000, 'post-restart decisions PUBACKed');
    consumer = await connectConsumer();
    await until(() => sent.every((id) => byId.has(id)), 30_000, `every decision (have ${byId.size} of ${sent.length})`);
    assert.ok(results.some((r) => r.ok && (r.result?.replayed ?? 0) > 0), `a replay answered: ${JSON.stringify(results)}`);
    assert.deepEqual(tracker.missing(), []);
    assert.deepEqual([...seqOf.values()].sort((a, b) => a - b), Array.from({ length: 34 }, (_, i) => i + 1), 'seq 1..34, one per decision');
  } finally {
    await consumer?.endAsync(true);
    await link.close({ announceOffline: false });
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
