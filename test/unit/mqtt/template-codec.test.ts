import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecord, decodeRecords, scanRecords, packChunks, attributesBytes, type TemplateRecord } from '../../../sdk/mqtt/template-codec.ts';
import { unitVectors } from '../../helpers/memory-target.ts';

const dim = 192;

test('record layout: identity, attributes, count, f16 templates (hand-checked bytes)', () => {
  const t = new Float32Array(8).fill(0);
  t[0] = 1;
  t[1] = -2;
  const b = encodeRecord({ identity: 'ab', templates: [t] }, 'f16', 8);
  assert.deepEqual([...b.subarray(0, 10)], [2, 0, 0x61, 0x62, 0, 0, 1, 0, 0x00, 0x3c]);
  assert.deepEqual([...b.subarray(10, 12)], [0x00, 0xc0]);
  assert.equal(b.length, 2 + 2 + 2 + 2 + 16);
});

test('f16 and i8 round trips: identity, attributes, values within the packing error', () => {
  const recs: TemplateRecord[] = [
    { identity: 'Zoë Ångström', attributes: { name: 'Zoë', enabled: false, validUntil: '2030-01-01T00:00:00.000Z', metadata: { badge: 17 } }, templates: unitVectors(3, dim, 5) },
    { identity: 'p2', templates: unitVectors(1, dim, 6) },
  ];
  for (const enc of ['f16', 'i8'] as const) {
    const body = Buffer.concat(recs.map((r) => encodeRecord(r, enc, dim)));
    const back = decodeRecords(body, enc, dim);
    assert.equal(back.length, 2);
    assert.equal(back[0].identity, 'Zoë Ångström');
    assert.deepEqual(back[0].attributes, { name: 'Zoë', metadata: { badge: 17 }, enabled: false, validUntil: '2030-01-01T00:00:00.000Z' });
    assert.equal(back[1].attributes, undefined);
    for (let r = 0; r < 2; r++) {
      for (let k = 0; k < recs[r].templates.length; k++) {
        const src = recs[r].templates[k];
        let maxErr = 0;
        let maxAbs = 0;
        for (let i = 0; i < dim; i++) {
          maxErr = Math.max(maxErr, Math.abs(back[r].templates[k][i] - src[i]));
          maxAbs = Math.max(maxAbs, Math.abs(src[i]));
        }
        // f16: half an ulp of values below 1 (<= 2^-12); i8: half a step of scale = maxAbs / 127.
        const tol = enc === 'f16' ? 2 ** -12 : (maxAbs / 127) * 0.5 * (1 + 1e-5);
        assert.ok(maxErr <= tol, `${enc}: max error ${maxErr} > ${tol}`);
      }
    }
  }
});

test('default attributes encode to nothing, so unchanged identities pack identically', () => {
  assert.equal(attributesBytes({ name: null, metadata: {}, enabled: true, validFrom: null, validUntil: null }).length, 0);
  const v = unitVectors(1, dim, 9);
  assert.ok(encodeRecord({ identity: 'x', templates: v }, 'f16', dim).equals(encodeRecord({ identity: 'x', attributes: { enabled: true }, templates: v }, 'f16', dim)));
});

test('scanRecords rejects truncation, bad UTF-8, control characters and bad attributes', () => {
  const good = encodeRecord({ identity: 'alice', templates: unitVectors(2, dim, 3) }, 'f16', dim);
  for (const cut of [1, 3, 8, good.length - 1]) {
    assert.throws(() => scanRecords(good.subarray(0, cut), 'f16', dim), /truncated/, `cut at ${cut}`);
  }
  const badUtf8 = Buffer.from(good);
  badUtf8[2] = 0xff;
  assert.throws(() => scanRecords(badUtf8, 'f16', dim), /not UTF-8/);
  const ctrl = Buffer.from(good);
  ctrl[3] = 0x07;
  assert.throws(() => scanRecords(ctrl, 'f16', dim), /control/);
  const attrs = encodeRecord({ identity: 'a', attributes: { enabled: false }, templates: unitVectors(1, dim) }, 'f16', dim);
  const wrong = Buffer.from(attrs.toString('latin1').replace('"enabled":false', '"enabled":"no!"'), 'latin1');
  assert.throws(() => scanRecords(wrong, 'f16', dim), /attributes enabled/);
  assert.throws(() => encodeRecord({ identity: '', templates: [] }, 'f16', dim), /identity/);
  assert.throws(() => encodeRecord({ identity: 'a', templates: [new Float32Array(3)] }, 'f16', dim), /length 3/);
});

test('non-finite f16 values and bad i8 scales are rejected on decode', () => {
  const b = encodeRecord({ identity: 'a', templates: unitVectors(1, 8) }, 'f16', 8);
  b.writeUInt16LE(0x7c00, 7); // +Inf in the first value (after 2+1 id, 2 attrs, 2 count)
  assert.throws(() => decodeRecords(b, 'f16', 8), /non-finite/);
  const q = encodeRecord({ identity: 'a', templates: unitVectors(1, 8) }, 'i8', 8);
  q.writeFloatLE(-1, 7);
  assert.throws(() => decodeRecords(q, 'i8', 8), /scale/);
});

test('packChunks keeps records whole and under the limit', () => {
  const enc = Array.from({ length: 100 }, (_, i) => ({ identity: `id${String(i).padStart(3, '0')}`, bytes: encodeRecord({ identity: `id${String(i).padStart(3, '0')}`, templates: unitVectors(2, dim, i + 1) }, 'f16', dim), templates: 2 }));
  const per = enc[0].bytes.length;
  const packed = packChunks(enc, per * 7 + 3);
  assert.equal(packed.bodies.length, Math.ceil(100 / 7));
  assert.ok(packed.bodies.every((b) => b.length <= per * 7 + 3));
  assert.equal(packed.records.reduce((a, b) => a + b, 0), 100);
  assert.equal(packed.templates, 200);
  assert.throws(() => packChunks(enc, per - 1), /more than one chunk/);
});
