/**
 * Recent faces (off by default, for privacy): while an admin has it on, a crop of each recent
 * unknown or near-threshold face is kept, one per track (the largest view), for `keepMinutes` and
 * at most `max` crops, in memory only: nothing is written to disk, so no face image is at rest in
 * clear whether or not the gallery is encrypted, and a restart forgets them. The operator assigns
 * a crop to a person (its face is embedded and enrolled as a template) or deletes it.
 */
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import type { Frame } from '../../sdk/types.ts';
import type { Logger } from '../../sdk/logger.ts';
import { FaceGateError, errorMessage } from '../../sdk/errors.ts';
import type { TappedFace } from '../loop/frame-loop.ts';

export interface RecentFace {
  id: string;
  at: string;
  track: number;
  /** Nearest enrolled identity when it was near the threshold; null for an unknown face. */
  nearest: string | null;
  distance: number | null;
  sizePx: number;
}

export interface RecentFacesSettings { enabled: boolean; keepMinutes: number; max: number }

/** A face within this distance below the threshold counts as near it (low margin). */
export const NEAR_THRESHOLD = 0.1;

export class RecentFaces {
  #items = new Map<string, RecentFace & { jpeg: Buffer; expires: number }>();
  #byTrack = new Map<number, string>();
  #busy = false;
  settings: RecentFacesSettings;

  constructor(settings: RecentFacesSettings, private readonly o: { threshold(): number; logger: Logger }) {
    this.settings = settings;
  }

  get active(): boolean {
    return this.settings.enabled;
  }

  configure(s: Partial<RecentFacesSettings>): RecentFacesSettings {
    this.settings = { ...this.settings, ...s };
    if (!this.settings.enabled) this.clear();
    return this.settings;
  }

  /** From the frame tap: one crop encoded at a time; faces the matcher was sure about are skipped. */
  offer(frame: Frame, faces: readonly TappedFace[]): void {
    if (!this.settings.enabled || this.#busy) return;
    const t = this.o.threshold();
    const pick = faces.find((f) => f.distance !== null && (f.identity === null || f.distance > t - NEAR_THRESHOLD) && this.#wants(f));
    if (!pick) return;
    this.#busy = true;
    // Crop with context (the face detector needs some background around it when it is assigned).
    const m = Math.max(pick.box.w, pick.box.h) * 0.6;
    const left = Math.max(0, Math.floor(pick.box.x - m)), top = Math.max(0, Math.floor(pick.box.y - m));
    const width = Math.min(frame.width - left, Math.ceil(pick.box.w + 2 * m)), height = Math.min(frame.height - top, Math.ceil(pick.box.h + 2 * m));
    if (width < 8 || height < 8) { this.#busy = false; return; }
    const region = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) region.set(frame.data.subarray(((top + y) * frame.width + left) * 3, ((top + y) * frame.width + left + width) * 3), y * width * 3);
    sharp(region, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer()
      .then((jpeg) => this.#keep(pick, jpeg))
      .catch((e) => this.o.logger.warn('recent face crop failed', { error: errorMessage(e) }))
      .finally(() => { this.#busy = false; });
  }

  #wants(f: TappedFace): boolean {
    const id = this.#byTrack.get(f.track);
    const held = id ? this.#items.get(id) : undefined;
    return !held || Math.max(f.box.w, f.box.h) > held.sizePx * 1.1;
  }

  #keep(f: TappedFace, jpeg: Buffer): void {
    if (!this.settings.enabled) return;
    const old = this.#byTrack.get(f.track);
    if (old) this.#items.delete(old);
    const now = Date.now();
    const item = { id: randomUUID(), at: new Date(now).toISOString(), track: f.track, nearest: f.identity, distance: f.distance === null ? null : Math.round(f.distance * 1e4) / 1e4, sizePx: Math.round(Math.max(f.box.w, f.box.h)), jpeg, expires: now + this.settings.keepMinutes * 60_000 };
    this.#items.set(item.id, item);
    this.#byTrack.set(f.track, item.id);
    this.#sweep(now);
  }

  #sweep(now = Date.now()): void {
    for (const [id, x] of this.#items) if (x.expires <= now || this.#items.size > this.settings.max) this.#drop(id);
  }

  #drop(id: string): void {
    const x = this.#items.get(id);
    if (!x) return;
    this.#items.delete(id);
    if (this.#byTrack.get(x.track) === id) this.#byTrack.delete(x.track);
  }

  list(): RecentFace[] {
    this.#sweep();
    return [...this.#items.values()].reverse().map(({ jpeg: _j, expires: _e, ...f }) => f);
  }

  image(id: string): Buffer {
    this.#sweep();
    const x = this.#items.get(id);
    if (!x) throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no recent face '${id}' (expired or deleted)`);
    return x.jpeg;
  }

  /** Removes and returns a crop (assigning consumes it too). */
  take(id: string): Buffer {
    const jpeg = this.image(id);
    this.#drop(id);
    return jpeg;
  }

  clear(): void {
    this.#items.clear();
    this.#byTrack.clear();
  }
}
