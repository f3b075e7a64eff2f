/** Worker-thread entry: builds one index file and reports back (see build-index.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { buildIndexFile, type BuildRequest } from './build-index.ts';
import { failureReply } from './worker-run.ts';

try {
  parentPort?.postMessage({ ok: true, result: await buildIndexFile(workerData as BuildRequest) });
} catch (e) {
  parentPort?.postMessage(failureReply(e));
}
