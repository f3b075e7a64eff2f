import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRateLimit } from '../../../sdk/mqtt/event-rate-limit.ts';
import { DEVICE_EVENT_TYPES, deviceEvent } from '../../../sdk/mqtt/device-events.ts';

test('event rate limit: burst, then the refill rate; drops are counted once, on the next admitted event', () => {
  const r = new EventRateLimit({ perSecond: 2, burst: 3 }, 0);
  assert.deepEqual([r.admit(0), r.admit(0), r.admit(0)].map((a) => a.ok), [true, true, true]);
  assert.deepEqual(r.admit(0), { ok: false, suppressed: 0 });
  assert.deepEqual(r.admit(100), { ok: false, suppressed: 0 }); // 0.2 tokens
  assert.deepEqual(r.admit(500), { ok: true, suppressed: 2 }); // 1 token after 0.5 s at 2/s
  assert.deepEqual(r.admit(500), { ok: false, suppressed: 0 });
  assert.deepEqual(r.admit(10_000), { ok: true, suppressed: 1 });
  // Refill is capped at the burst: after a long pause, 3 go out, the 4th does not.
  assert.deepEqual([r.admit(60_000), r.admit(60_000), r.admit(60_000), r.admit(60_000)].map((a) => a.ok), [true, true, true, false]);
});

test('device events: one list of kinds, envelope fields cannot be overwritten by the payload', () => {
  assert.equal(new Set(DEVICE_EVENT_TYPES).size, DEVICE_EVENT_TYPES.length);
  for (const k of ['camera-lost', 'enrollment-applied', 'message-rejected', 'command-rejected', 'bad_frame', 'camera_lost', 'error', 'events-suppressed']) assert.ok(DEVICE_EVENT_TYPES.includes(k as never), k);
  const ev = deviceEvent('camera-lost', { before: 'ok', ts: 'forged', type: 'x' } as never, { ts: '2026-01-01T00:00:00.000Z', site: 'hq', device: 'd1' });
  assert.deepEqual(ev, { before: 'ok', type: 'camera-lost', ts: '2026-01-01T00:00:00.000Z', site: 'hq', device: 'd1' });
});
