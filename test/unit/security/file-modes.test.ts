/**
 * Every data file FaceGate creates is 0600 and every directory 0700, whatever the umask: the
 * gallery (database, WAL, index file, sidecar), the decision queue, the sync state and the audit log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { DurableQueue } from '../../../sdk/mqtt/durable-queue.ts';
import { fileSyncState } from '../../../sdk/mqtt/enrollment-target.ts';
import { AuditLog } from '../../../sdk/audit/index.ts';
import { syntheticPeople } from '../gallery/synthetic.ts';

function modes(root: string): [string, string][] {
  const out: [string, string][] = [];
  const walk = (p: string) => {
    const s = statSync(p);
    out.push([p, (s.mode & 0o777).toString(8)]);
    if (s.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  for (const n of readdirSync(root)) walk(join(root, n));
  return out;
}

test('data files 0600 and directories 0700 under umask 022', async () => {
  const old = process.umask(0o022);
  try {
    const root = mkdtempSync(join(tmpdir(), 'fg-modes-'));
    const people = syntheticPeople(40, 32, 3);
    const g = await Gallery.open(join(root, 'var', 'gallery'), { modelId: 'm', dim: 32, create: true, worker: false, exactBelow: 8 });
    for (let i = 0; i < 40; i++) g.enroll(`p${i}`, [people.sample(i)]);
    await g.close();
    const q = DurableQueue.open(join(root, 'queue', 'deep', 'decision-queue.sqlite'));
    q.close();
    await fileSyncState(join(root, 'var', 'gallery.sync.json')).save({ snapshotVersion: 3 });
    const log = await AuditLog.open(join(root, 'audit', 'audit.log'), { durability: 'none' });
    await log.append('device-start', { site: 's' });
    await log.close();

    const found = modes(root);
    assert.ok(found.some(([p]) => p.endsWith('gallery.sqlite')) && found.some(([p]) => /hnsw-.*\.bin$|index\.json$/.test(p)), JSON.stringify(found));
    const bad = found.filter(([p, m]) => (statSync(p).isDirectory() ? m !== '700' : m !== '600'));
    assert.deepEqual(bad, [], 'every file 0600, every directory 0700');
  } finally {
    process.umask(old);
  }
});
