/**
 * The decision message published on `.../decision`. Each carries a unique, time-sortable `id`
 * (ULID) assigned once, before it is queued, so every redelivery carries the same id and the same
 * bytes: consumers de-duplicate by id.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { FaceGateError } from '../errors.ts';
import type { DecisionKind } from '../match/decide.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** ULID: 48-bit millisecond time (10 chars) + 80 random bits (16 chars), Crockford base32. */
export function ulid(timeMs = Date.now(), random: Uint8Array = randomBytes(10)): string {
  if (!Number.isSafeInteger(timeMs) || timeMs < 0 || timeMs >= 2 ** 48) throw new FaceGateError('FG_INPUT_INVALID', `ulid time ${timeMs} out of range`);
  let out = '';
  let t = timeMs;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  // 80 random bits = 16 groups of 5 bits, most significant first.
  let acc = 0;
  let bits = 0;
  for (const byte of random.subarray(0, 10)) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** Millisecond time encoded in a ULID. */
export function ulidTime(id: string): number {
  let t = 0;
  for (const c of id.slice(0, 10)) t = t * 32 + CROCKFORD.indexOf(c);
  return t;
}

export type { DecisionKind };

/** `reason` of a deny whose track did not look live (a photo or a screen held to the camera). */
export const PRESENTATION_ATTACK = 'presentation_attack';

export interface DecisionInput {
  decision: DecisionKind;
  /** Matched identity (null when unknown). */
  identity: string | null;
  /** Distance to the best match (null when there was no candidate). */
  distance: number | null;
  threshold: number;
  model: string;
  /** Why: the matcher's reason for a deny (disabled, expired, ...) or PRESENTATION_ATTACK. */
  reason?: string;
  /** Mean liveness score in [0, 1] of the frames the gate judged (absent when the gate is off). */
  liveness?: number;
  camera?: string;
  ts?: Date;
  /** JPEG of the face; published only when the link is configured to include images. */
  imageJpeg?: Uint8Array;
}

export const DecisionMessage = z.object({
  id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/),
  ts: z.string(),
  site: z.string(),
  device: z.string(),
  decision: z.enum(['grant', 'deny', 'unknown']),
  identity: z.string().nullable(),
  distance: z.number().nullable(),
  threshold: z.number(),
  model: z.string(),
  reason: z.string().optional(),
  liveness: z.number().min(0).max(1).optional(),
  camera: z.string().optional(),
  image: z.string().optional(),
  /** Per-device sequence number, 1, 2, 3… (decision-history.ts); a gap means missed decisions. */
  seq: z.number().int().positive().optional(),
  /** The history `seq` counts in; a new stream restarts at 1. */
  stream: z.string().optional(),
}).strict();
export type DecisionMessage = z.infer<typeof DecisionMessage>;

/** Builds the message (assigning its id). Throws FG_INPUT_INVALID on a malformed decision. */
export function buildDecisionMessage(input: DecisionInput, ctx: { site: string; device: string; includeImage: boolean }): DecisionMessage {
  if (!['grant', 'deny', 'unknown'].includes(input.decision)) throw new FaceGateError('FG_INPUT_INVALID', `decision must be grant, deny or unknown, got ${String(input.decision)}`);
  if (input.decision === 'grant' && !input.identity) throw new FaceGateError('FG_INPUT_INVALID', 'a grant decision needs an identity');
  if (input.distance !== null && !Number.isFinite(input.distance)) throw new FaceGateError('FG_INPUT_INVALID', 'decision distance must be finite or null');
  if (!Number.isFinite(input.threshold)) throw new FaceGateError('FG_INPUT_INVALID', 'decision threshold must be finite');
  const ts = input.ts ?? new Date();
  const msg: DecisionMessage = {
    id: ulid(ts.getTime()),
    ts: ts.toISOString(),
    site: ctx.site,
    device: ctx.device,
    decision: input.decision,
    identity: input.identity,
    distance: input.distance,
    threshold: input.threshold,
    model: input.model,
  };
  if (input.reason !== undefined) msg.reason = input.reason;
  if (input.liveness !== undefined) {
    if (!(input.liveness >= 0 && input.liveness <= 1)) throw new FaceGateError('FG_INPUT_INVALID', `decision liveness must be in [0, 1], got ${input.liveness}`);
    msg.liveness = Number(input.liveness.toPrecision(4)); // attack scores live in the far tail (1e-5)
  }
  if (input.camera !== undefined) msg.camera = input.camera;
  if (ctx.includeImage && input.imageJpeg) msg.image = Buffer.from(input.imageJpeg).toString('base64');
  return msg;
}
