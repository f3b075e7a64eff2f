/** Sequence gaps (consumer side) and the replay command's answer, against known cases. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecisionGapTracker } from '../../../sdk/mqtt/decision-gaps.ts';
import { DecisionHistory } from '../../../sdk/mqtt/decision-history.ts';
import { replayHandler } from '../../../sdk/mqtt/decision-replay.ts';
import { buildDecisionMessage } from '../../../sdk/mqtt/decision-message.ts';

test('gap tracker: skips, late arrivals, duplicates, a new stream', () => {
  const t = new DecisionGapTracker();
  assert.equal(t.replaySince(), null);
  assert.equal(t.observe('A', 1), null);
  assert.equal(t.observe('A', 2), null);
  assert.deepEqual(t.observe('A', 6), { since: 2, from: 3, to: 5 });
  assert.deepEqual(t.missing(), [3, 4, 5]);
  assert.equal(t.replaySince(), 2);
  assert.equal(t.observe('A', 4), null);
  assert.equal(t.observe('A', 4), null, 'a duplicate is no gap');
  assert.deepEqual(t.missing(), [3, 5]);
  t.observe('A', 3);
  t.observe('A', 5);
  assert.deepEqual(t.missing(), []);
  assert.equal(t.replaySince(), 6);
  assert.deepEqual(t.observe('B', 3), { since: 0, from: 1, to: 2 }, 'a new stream: its first seqs are missing');
});

test('history: seqs survive a reopen and are never reused after pruning; replay answers since N, reports aged-out seqs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-hist-'));
  const path = join(dir, 'h.sqlite');
  const msg = () => buildDecisionMessage({ decision: 'unknown', identity: null, distance: null, threshold: 0.9, model: 'm' }, { site: 's', device: 'd', includeImage: false });
  let h = DecisionHistory.open(path, { maxRows: 100, synchronous: 'normal' });
  const stream = h.stream;
  for (let i = 0; i < 5; i++) h.record(msg());
  h.close();
  h = DecisionHistory.open(path, { maxRows: 100, maxAgeMs: 1000, synchronous: 'normal' });
  assert.equal(h.stream, stream);
  const m = msg();
  JSON.parse(h.record(m).toString());
  assert.equal(m.seq, 6);
  const sent: Buffer[] = [];
  const replay = replayHandler(h, (p) => sent.push(p));
  const r = replay({ since: 3 }, { name: 'replay', txn: 't' }) as { replayed: number; last: number; lost: unknown; more: boolean };
  assert.deepEqual([r.replayed, r.last, r.lost, r.more], [3, 6, null, false]);
  assert.deepEqual(sent.map((p) => (JSON.parse(p.toString()) as { seq: number }).seq), [4, 5, 6]);
  h.prune(Date.now() + 10_000); // everything aged out
  const m2 = msg();
  h.record(m2);
  assert.equal(m2.seq, 7, 'pruned seqs are not handed out again');
  const r2 = replay({ since: 2, limit: 1 }, { name: 'replay', txn: 't' }) as { replayed: number; lost: [number, number] | null };
  assert.deepEqual([r2.replayed, r2.lost], [1, [3, 6]]);
  assert.throws(() => replay({ since: -1 }, { name: 'replay', txn: 't' }), /since/);
  h.close();
});
