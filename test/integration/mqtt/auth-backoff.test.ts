import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceLink } from '../../../sdk/mqtt/device-link.ts';
import type { Logger } from '../../../sdk/logger.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';

const skip = hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recordingLogger(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  return { lines, info: (msg) => lines.push({ level: 'info', msg }), warn: (msg) => lines.push({ level: 'warn', msg }), error: (msg) => lines.push({ level: 'error', msg }) };
}

test('a wrong MQTT password: reconnects back off (not every second) and the error is logged and emitted once', { skip, timeout: 30_000 }, async () => {
  const broker = await Mosquitto.start({ passwords: { door: 'right-password' }, extra: ['connection_messages true'] });
  const logger = recordingLogger();
  let errors = 0;
  const link = await DeviceLink.start({ broker: { url: broker.url, username: 'door', password: 'wrong-password' }, site: 'hq', device: 'door-1', logger, waitConnectedMs: false, announce: false });
  link.on('error', () => errors++);
  try {
    await sleep(7000);
    // Mosquitto logs one "New connection from" per TCP connection (connection_messages).
    const attempts = broker.log.split('\n').filter((l) => l.includes('New connection from')).length;
    // A fixed 1 s period made 8 attempts in 7 s; backoff from 1 s with jitter at most 4 (t >= 0, 0.5, 1.5, 3.5 s) plus a margin.
    assert.ok(attempts >= 2 && attempts <= 5, `${attempts} connection attempts in 7 s`);
    // (A "subscribe failed" line may appear once: the queued SUBSCRIBE dies with the refused connection.)
    const errs = logger.lines.filter((l) => l.level === 'error' && l.msg.startsWith('MQTT broker'));
    assert.equal(errs.length, 1, JSON.stringify(logger.lines));
    assert.match(errs[0].msg, /bad username or password|not authorized/);
    assert.ok(!errs[0].msg.includes('wrong-password'));
    assert.equal(errors, 1);
    assert.equal(logger.lines.filter((l) => l.msg.startsWith('mqtt offline')).length, 1);
  } finally {
    await link.close({ announceOffline: false });
    await broker.dispose();
  }
});

test('broker lost and back: one offline warning, one error, then "reconnected" (log per state change)', { skip, timeout: 40_000 }, async () => {
  const broker = await Mosquitto.start();
  const logger = recordingLogger();
  const link = await DeviceLink.start({ broker: { url: broker.url, reconnectMaxMs: 2000 }, site: 'hq', device: 'door-1', logger, announce: false });
  try {
    assert.deepEqual(logger.lines.map((l) => l.msg), ['mqtt connected']);
    await broker.kill();
    await sleep(5000); // several refused attempts (ECONNREFUSED)
    await broker.restart();
    const end = Date.now() + 10_000;
    while (!link.connected && Date.now() < end) await sleep(100);
    assert.ok(link.connected, 'reconnected');
    const msgs = logger.lines.map((l) => `${l.level} ${l.msg.replace(/127\.0\.0\.1:\d+/g, 'BROKER')}`);
    assert.deepEqual(msgs.filter((m) => !m.startsWith('info mqtt connected')), [
      'warn mqtt offline; decisions stay queued',
      'error cannot connect to MQTT broker mqtt://BROKER: connect ECONNREFUSED BROKER — nothing listens there (is the broker running?)',
      'info mqtt reconnected',
    ]);
  } finally {
    await link.close({ announceOffline: false });
    await broker.dispose();
  }
});
