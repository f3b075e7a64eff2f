/**
 * Starts a gallery worker thread (an entry module next to this file) and resolves with its one
 * reply. Compiled (dist/), the entry is the emitted .js and loads directly; run from the
 * TypeScript sources, it is loaded through tsx's loader (a dev dependency), so it works under
 * `node --import tsx` too. The entry posts `{ ok: true, result }` or
 * `{ ok: false, error, code?, details? }`; a FaceGateError's code survives the thread boundary.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import { FaceGateError, errorMessage, type FaceGateErrorCode } from '../errors.ts';

export type WorkerReply<T> = { ok: true; result: T } | { ok: false; error: string; code?: FaceGateErrorCode; details?: Record<string, unknown> };

/** What a worker entry posts for a thrown error. */
export function failureReply(e: unknown): WorkerReply<never> {
  if (e instanceof FaceGateError) return { ok: false, error: e.message, code: e.code, details: e.details as Record<string, unknown> | undefined };
  return { ok: false, error: errorMessage(e) };
}

export function runGalleryWorker<T>(entryFile: string, what: string, workerData: unknown, transferList: TransferListItem[] = []): Promise<T> {
  const compiled = import.meta.url.endsWith('.js');
  const entry = new URL(compiled ? entryFile.replace(/\.ts$/, '.js') : entryFile, import.meta.url).href;
  const code = compiled
    ? `import(${JSON.stringify(entry)});`
    : `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData, transferList });
    let settled = false;
    worker.once('message', (msg: WorkerReply<T>) => {
      settled = true;
      if (msg.ok) resolve(msg.result);
      else reject(msg.code ? new FaceGateError(msg.code, msg.error, { details: msg.details }) : new FaceGateError('FG_GALLERY', `${what} failed: ${msg.error}`));
    });
    worker.once('error', (e) => {
      if (!settled) reject(new FaceGateError('FG_GALLERY', `${what} worker failed: ${errorMessage(e)}`, { cause: e }));
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new FaceGateError('FG_GALLERY', `${what} worker exited with code ${code}`));
      settled = true;
    });
  });
}
