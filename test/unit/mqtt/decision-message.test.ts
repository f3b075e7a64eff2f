import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ulid, ulidTime, buildDecisionMessage, DecisionMessage } from '../../../sdk/mqtt/decision-message.ts';

test('ulid: spec example time prefix, extreme random parts, sortable by time', () => {
  // ULID spec example 01ARYZ6S41TSV4RRFFQ69G5FAV encodes 1469918176385 ms.
  assert.equal(ulid(1469918176385).slice(0, 10), '01ARYZ6S41');
  assert.equal(ulidTime('01ARYZ6S41TSV4RRFFQ69G5FAV'), 1469918176385);
  assert.equal(ulid(0, new Uint8Array(10)), '0'.repeat(26));
  assert.equal(ulid(2 ** 48 - 1, new Uint8Array(10).fill(255)), '7' + 'Z'.repeat(25));
  const a = ulid(1000);
  const b = ulid(1001);
  assert.ok(a < b);
  assert.equal(new Set(Array.from({ length: 10_000 }, () => ulid(5))).size, 10_000);
  assert.throws(() => ulid(-1), /out of range/);
});

test('decision message: fields, schema, image only when configured, bad input rejected', () => {
  const ts = new Date('2026-01-02T03:04:05.678Z');
  const m = buildDecisionMessage({ decision: 'grant', identity: 'alice', distance: 0.61, threshold: 0.95, model: 'mobilefacenet-192', ts, imageJpeg: new Uint8Array([1, 2]) }, { site: 'hq', device: 'door-1', includeImage: false });
  assert.equal(m.ts, '2026-01-02T03:04:05.678Z');
  assert.equal(ulidTime(m.id), ts.getTime());
  assert.equal(m.image, undefined);
  assert.deepEqual(DecisionMessage.parse(JSON.parse(JSON.stringify(m))), m);
  const withImage = buildDecisionMessage({ decision: 'unknown', identity: null, distance: null, threshold: 0.95, model: 'x', imageJpeg: new Uint8Array([1, 2]) }, { site: 'hq', device: 'd', includeImage: true });
  assert.equal(withImage.image, 'AQI=');
  assert.throws(() => buildDecisionMessage({ decision: 'grant', identity: null, distance: 0.1, threshold: 1, model: 'x' }, { site: 'hq', device: 'd', includeImage: false }), /needs an identity/);
  assert.throws(() => buildDecisionMessage({ decision: 'deny', identity: 'a', distance: NaN, threshold: 1, model: 'x' }, { site: 'hq', device: 'd', includeImage: false }), /finite/);
});
