import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableQueue } from '../../../sdk/mqtt/durable-queue.ts';

test('durable queue: order, acks, duplicate ids ignored, survives reopen, redelivery window, bounded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-q-'));
  const path = join(dir, 'q.db');
  try {
    const q = DurableQueue.open(path, { maxRows: 5, synchronous: 'normal' });
    for (let i = 0; i < 4; i++) q.push(`id${i}`, 't', Buffer.from(`m${i}`));
    q.push('id1', 't', Buffer.from('other'));
    assert.equal(q.size(), 4);
    const rows = q.pendingAfter(0, 10);
    assert.deepEqual(rows.map((r) => r.id), ['id0', 'id1', 'id2', 'id3']);
    assert.equal(rows[1].payload.toString(), 'm1', 'a repeated id keeps the first payload');
    assert.deepEqual(q.pendingAfter(rows[1].seq, 1).map((r) => r.id), ['id2']);
    q.ack('id0', 1000);
    q.ack('id0', 1001);
    q.ack('nope', 1000);
    assert.equal(q.size(), 3);
    assert.deepEqual(q.pendingAfter(0, 10).map((r) => r.id), ['id1', 'id2', 'id3']);
    q.close();
    const q2 = DurableQueue.open(path, { maxRows: 5 });
    assert.equal(q2.size(), 3, 'pending count survives reopen');
    // Acknowledged rows stay for the redelivery window, then are pruned.
    q2.ack('id1', 5000);
    assert.equal(q2.requeueAckedSince(2000), 1, 'id1 acked at 5000 goes back, id0 acked at 1000 does not');
    assert.deepEqual(q2.pendingAfter(0, 10).map((r) => r.id), ['id1', 'id2', 'id3']);
    assert.equal(q2.prune(2000), 1, 'id0 pruned');
    for (let i = 4; i < 8; i++) q2.push(`id${i}`, 't', Buffer.from('x'));
    assert.equal(q2.size(), 5);
    assert.equal(q2.dropped, 2);
    assert.deepEqual(q2.pendingAfter(0, 10).map((r) => r.id), ['id3', 'id4', 'id5', 'id6', 'id7']);
    q2.close();
    assert.throws(() => DurableQueue.open(join(dir, 'q.db', 'sub', 'x.db')), /cannot open the decision queue/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
