import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { FaceGateError } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { GraphOptLevel } from './model-types.ts';

export type ExecutionProvider = 'tensorrt' | 'cuda' | 'webgpu' | 'coreml' | 'dml' | 'cpu';

export interface SessionOptions {
  /** Preference order; CPU is always tried last even when absent. */
  providers?: ExecutionProvider[];
  optLevel?: GraphOptLevel;
  intraOpThreads?: number;
  /** When given, the file's sha256 must match (names file, expected and actual otherwise). */
  expectedSha256?: string;
  logger?: Logger;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  provider: ExecutionProvider;
  /** Providers tried before the one used, with the reason each failed. */
  fallbacks: { provider: ExecutionProvider; reason: string }[];
  loadMs: number;
}

/** Intra-op thread counts ORT accepts here: a whole number from 1 to 64. */
export function checkThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new FaceGateError('FG_CONFIG_INVALID', `intra-op threads must be a whole number from 1 to 64, got ${String(n)}`);
  }
  return n;
}

/**
 * Opens an ONNX Runtime session trying each execution provider in order. onnxruntime-node
 * throws for an unavailable provider instead of falling back, so we fall back ourselves.
 */
export async function openSession(path: string, opts: SessionOptions = {}): Promise<OpenedSession> {
  const log = opts.logger ?? silentLogger;
  const threads = checkThreads(opts.intraOpThreads ?? 1);
  const t0 = performance.now();
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new FaceGateError('FG_MODEL_MISSING', `model file not found or unreadable: ${path} (run \`npx facegate models build\`)`, { cause: e });
  }
  if (opts.expectedSha256) {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== opts.expectedSha256) {
      throw new FaceGateError('FG_MODEL_HASH', `model file ${path}: sha256 ${actual} does not match expected ${opts.expectedSha256}`,
        { details: { file: path, expected: opts.expectedSha256, actual } });
    }
  }
  const order: ExecutionProvider[] = [...(opts.providers ?? ['cpu']).filter((p) => p !== 'cpu'), 'cpu'];
  const fallbacks: OpenedSession['fallbacks'] = [];
  for (const provider of order) {
    try {
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [provider],
        graphOptimizationLevel: opts.optLevel ?? 'extended',
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        // Spinning threads made every model ~3x slower with several sessions on 2 cores.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
      if (fallbacks.length) log.warn('execution provider fallback', { model: path, used: provider, fallbacks });
      return { session, provider, fallbacks, loadMs: performance.now() - t0 };
    } catch (e) {
      const reason = (e as Error).message.split('\n')[0];
      if (provider === 'cpu') {
        throw new FaceGateError('FG_MODEL_LOAD', `cannot load model ${path}: ${reason}`, { cause: e, details: { fallbacks } });
      }
      fallbacks.push({ provider, reason });
    }
  }
  throw new FaceGateError('FG_PROVIDER', 'unreachable: no execution provider tried');
}
