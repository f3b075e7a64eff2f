/** Worker-thread entry: applies one large gallery change and reports the diff (see bulk-apply.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { applyBulk, type BulkRequest } from './bulk-apply.ts';
import { failureReply } from './worker-run.ts';

try {
  const result = applyBulk(workerData as BulkRequest);
  const arrays = [result.addedLabels, result.addedKind, result.addedOwner, result.addedSrc, result.centreVectors, result.removed, result.identityIdx, result.identityState];
  parentPort?.postMessage({ ok: true, result }, arrays.map((a) => a.buffer as ArrayBuffer));
} catch (e) {
  parentPort?.postMessage(failureReply(e));
}
