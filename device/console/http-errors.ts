/** FaceGateError codes as HTTP statuses; the body is the CLI's `{"error":{"code","message"}}`. */
import { isFaceGateError, type FaceGateErrorCode } from '../../sdk/errors.ts';

const STATUS: Partial<Record<FaceGateErrorCode, number>> = {
  FG_UNAUTHORIZED: 401,
  FG_FORBIDDEN: 403,
  FG_GALLERY_NOT_FOUND: 404,
  FG_IMAGE_TOO_LARGE: 413,
  FG_GALLERY_DUPLICATE: 409,
  FG_GALLERY_BUSY: 503,
  FG_RATE_LIMITED: 429,
  FG_IMAGE_DECODE: 400,
  FG_IMAGE_INVALID: 400,
  FG_INPUT_INVALID: 400,
  FG_CSV_INVALID: 400,
  FG_CLI_USAGE: 400,
  FG_CALIBRATION: 400,
  FG_SYNC_REJECTED: 409,
};

export interface ErrorBody { error: { code: string; message: string } }

export function httpError(e: unknown): { status: number; body: ErrorBody } {
  if (isFaceGateError(e)) return { status: STATUS[e.code] ?? 500, body: { error: { code: e.code, message: e.message } } };
  // Fastify's own errors (validation, body too large, unsupported type) carry statusCode.
  const f = e as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    const code = f.statusCode === 413 ? 'FG_IMAGE_TOO_LARGE' : f.statusCode === 429 ? 'FG_RATE_LIMITED' : f.statusCode === 404 ? 'FG_GALLERY_NOT_FOUND' : 'FG_INPUT_INVALID';
    return { status: f.statusCode, body: { error: { code, message: f.message ?? 'bad request' } } };
  }
  // Anything else is our bug: no internals (paths, stack) in the answer.
  return { status: 500, body: { error: { code: 'FG_INTERNAL', message: 'internal error (see the device log)' } } };
}
