/**
 * One error type with stable codes, so CLIs map them to exit codes/JSON and callers branch on
 * `code` rather than message text.
 */
export type FaceGateErrorCode =
  | 'FG_IMAGE_DECODE'
  | 'FG_IMAGE_INVALID'
  | 'FG_IMAGE_TOO_LARGE'
  | 'FG_MODEL_MISSING'
  | 'FG_MODEL_HASH'
  | 'FG_MODEL_LOAD'
  | 'FG_MODEL_CONVERT'
  | 'FG_MODEL_FETCH'
  | 'FG_PROVIDER'
  | 'FG_INPUT_INVALID'
  | 'FG_CONFIG_INVALID'
  | 'FG_CSV_INVALID'
  | 'FG_GALLERY'
  | 'FG_GALLERY_CORRUPT'
  | 'FG_GALLERY_MODEL_MISMATCH'
  | 'FG_GALLERY_NOT_FOUND'
  | 'FG_GALLERY_DUPLICATE'
  | 'FG_GALLERY_KEY'
  | 'FG_GALLERY_BUSY'
  | 'FG_MQTT'
  | 'FG_SYNC_REJECTED'
  | 'FG_SOURCE'
  | 'FG_CLI_USAGE'
  | 'FG_CALIBRATION'
  | 'FG_AUDIT'
  // Console / API (device/console): no or bad credentials; credentials without the right; too many tries.
  | 'FG_UNAUTHORIZED'
  | 'FG_FORBIDDEN'
  | 'FG_RATE_LIMITED';

export class FaceGateError extends Error {
  readonly code: FaceGateErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: FaceGateErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'FaceGateError';
    this.code = code;
    this.details = options?.details;
  }
}

export function isFaceGateError(e: unknown): e is FaceGateError {
  return e instanceof FaceGateError;
}

/** Message of any thrown value, for logs and JSON output. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
