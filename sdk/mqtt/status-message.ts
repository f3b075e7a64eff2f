/**
 * Retained availability on `.../status`: `online` while connected (with what the device runs),
 * `offline` as the Last Will (the broker publishes it when the device vanishes) and on a clean stop.
 */
export type CameraState = 'ok' | 'lost' | 'starting' | 'none';

export interface StatusInfo {
  galleryVersion?: number;
  identities?: number;
  modelId?: string;
  camera?: CameraState;
  /** Decisions waiting for a PUBACK. */
  queued?: number;
  /** Frames processed per second (10 s window). */
  fps?: number;
  /** Median capture-to-done latency of recent frames, ms. */
  latencyP50Ms?: number;
  /** Tracks denied as presentation attacks since the device started. */
  presentationAttacks?: number;
  /** Operating point in effect: threshold, and the stranger rate it implies for this gallery. */
  match?: { threshold: number; source: 'fpir' | 'threshold'; targetFpir: number; impliedFpir: number | null; templates: number };
}

export interface StatusMessage extends StatusInfo {
  state: 'online' | 'offline';
  site: string;
  device: string;
  broker: string;
  ts: string;
  reason?: string;
}

/** The broker URL without credentials, for status and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

export function statusMessage(state: 'online' | 'offline', ctx: { site: string; device: string; broker: string }, info: StatusInfo = {}, reason?: string): StatusMessage {
  const m: StatusMessage = { state, site: ctx.site, device: ctx.device, broker: redactUrl(ctx.broker), ts: new Date().toISOString(), ...info };
  if (reason) m.reason = reason;
  return m;
}
