/**
 * Child process of the SIGKILL test: runs the op sequence against a gallery forever, printing an
 * acknowledgement after each committed op, and "flush-start"/"build-start" before index writes.
 * Usage: crash-child.ts <dir> <round> <enrol|flush|build|bulk|bulk-async>
 */
import { Gallery } from '../../../sdk/gallery/index.ts';
import { CRASH_DIM, CRASH_MODEL, opAt, templatesFor, type CrashMode } from './crash-ops.ts';

const [dir, roundText, modeText] = process.argv.slice(2);
const mode = modeText as CrashMode;
const round = Number(roundText);
const g = await Gallery.open(dir, { modelId: CRASH_MODEL, dim: CRASH_DIM, create: true, exactBelow: 60, inlineAddLimit: 8, bulkMin: 50 });
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const op = opAt(round, i, mode);
  if (op.kind === 'enroll') g.enroll(op.name, templatesFor(op.name, 0), { source: 'crash-test' });
  else {
    const changes = { removes: op.remove === null ? [] : [op.remove], upserts: op.upsert.map((u) => ({ identity: { id: u.name }, templates: templatesFor(u.name, u.variant) })) };
    if (mode === 'bulk-async') await g.applyChangesAsync(changes);
    else g.applyChanges(changes);
  }
  process.stdout.write(`ack ${i}\n`);
  if (mode === 'flush' && i % 6 === 5) {
    process.stdout.write('flush-start\n');
    await g.flush();
  }
  if (mode === 'build' && i % 15 === 14) {
    process.stdout.write('build-start\n');
    await g.rebuildInWorker();
  }
  // let the event loop run (as a daemon's would) so background builds can land
  if (i % 3 === 0) await new Promise((r) => setImmediate(r));
}
