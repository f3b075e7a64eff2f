/**
 * Guided capture at the door: while active, camera frames are checked (one face; size; blur;
 * frontal pose; lighting; liveness when the gate is on; different enough from the frames already
 * taken). The console shows each check; after `target` good frames their embeddings are enrolled.
 */
import type { AnalyzedFace, DetectedFace, Frame } from '../../sdk/types.ts';
import { FaceGateError, errorMessage } from '../../sdk/errors.ts';
import { largestFace } from '../../sdk/detect/face-choice.ts';
import type { TappedFace } from '../loop/frame-loop.ts';
import { faceLighting, isFrontal, poseFromLandmarks, wellLit, FRONTAL, LIGHTING } from './capture-checks.ts';

export type CheckName = 'face' | 'size' | 'blur' | 'pose' | 'lighting' | 'liveness' | 'variety';
export interface CaptureCheck { name: CheckName; ok: boolean; value: number | null; need: string }
export type CaptureStatus = 'idle' | 'capturing' | 'done' | 'failed' | 'cancelled';

export interface CaptureState {
  status: CaptureStatus;
  id: string | null;
  name: string | null;
  target: number;
  accepted: number;
  checks: CaptureCheck[];
  /** Frames refused, by the first check that failed. */
  rejected: Partial<Record<CheckName, number>>;
  message: string;
}

export interface CapturePorts {
  embed(frame: Frame, face: DetectedFace): Promise<AnalyzedFace>;
  liveness?: { score(frame: Frame, face: DetectedFace): Promise<number>; threshold: number };
  enrol(id: string, name: string | null, embeddings: Float32Array[]): Promise<{ templates: number }>;
  minInterEyePx: number;
  minBlur: number;
  onChange(state: CaptureState): void;
}

/** Two accepted frames must differ at least this much (unit-sphere distance): no near-duplicates. */
export const MIN_VARIETY = 0.05;
const MIN_INTERVAL_MS = 250;

const idle = (): CaptureState => ({ status: 'idle', id: null, name: null, target: 0, accepted: 0, checks: [], rejected: {}, message: '' });

function dist(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

export class GuidedCapture {
  #state: CaptureState = idle();
  #embeddings: Float32Array[] = [];
  #busy = false;
  #lastAt = 0;
  constructor(private readonly ports: CapturePorts) {}

  get active(): boolean {
    return this.#state.status === 'capturing';
  }

  state(): CaptureState {
    return structuredClone(this.#state);
  }

  start(id: string, name: string | null, target: number): CaptureState {
    if (!Number.isInteger(target) || target < 1 || target > 20) throw new FaceGateError('FG_INPUT_INVALID', 'capture target: a whole number of frames from 1 to 20');
    this.#embeddings = [];
    this.#state = { ...idle(), status: 'capturing', id, name, target, message: 'look at the camera' };
    this.ports.onChange(this.state());
    return this.state();
  }

  cancel(): CaptureState {
    if (this.active) this.#set({ status: 'cancelled', message: 'cancelled' });
    this.#embeddings = [];
    return this.state();
  }

  /** From the frame tap: evaluates at most one frame at a time, every 250 ms at most. */
  offer(frame: Frame, faces: readonly TappedFace[]): void {
    if (!this.active || this.#busy) return;
    const now = Date.now();
    if (now - this.#lastAt < MIN_INTERVAL_MS) return;
    this.#lastAt = now;
    this.#busy = true;
    // Copied: the tap's frame buffer is not ours past this call.
    const own: Frame = { width: frame.width, height: frame.height, data: Uint8Array.from(frame.data) };
    this.#evaluate(own, faces.map((f) => ({ box: f.box, score: f.score, landmarks5: f.landmarks5 })))
      .catch((e) => this.#set({ status: 'failed', message: `capture failed: ${errorMessage(e)}` }))
      .finally(() => { this.#busy = false; });
  }

  async #evaluate(frame: Frame, faces: DetectedFace[]): Promise<void> {
    const checks: CaptureCheck[] = [];
    const reject = (name: CheckName) => {
      if (!this.active) return;
      const rejected = { ...this.#state.rejected, [name]: (this.#state.rejected[name] ?? 0) + 1 };
      this.#set({ checks, rejected, message: checks.find((c) => !c.ok)?.need ?? '' });
    };
    if (faces.length !== 1) {
      checks.push({ name: 'face', ok: false, value: faces.length, need: faces.length ? 'only one person in view' : 'no face in view' });
      return reject('face');
    }
    checks.push({ name: 'face', ok: true, value: 1, need: 'one face' });
    const face = faces[largestFace(faces)];
    const analyzed = await this.ports.embed(frame, face);
    const q = analyzed.quality;
    checks.push({ name: 'size', ok: q.interEyePx >= this.ports.minInterEyePx, value: round(q.interEyePx), need: `come closer: eyes at least ${this.ports.minInterEyePx} px apart` });
    checks.push({ name: 'blur', ok: q.blur >= this.ports.minBlur, value: round(q.blur), need: `hold still: sharpness at least ${this.ports.minBlur}` });
    const pose = poseFromLandmarks(face.landmarks5);
    checks.push({ name: 'pose', ok: isFrontal(pose), value: round(pose.yaw), need: `face the camera (yaw within ${FRONTAL.maxYaw}, roll within ${FRONTAL.maxRollDeg} deg)` });
    const light = faceLighting(frame, face.box);
    checks.push({ name: 'lighting', ok: wellLit(light), value: round(light.mean), need: `even light: face brightness ${LIGHTING.minMean}-${LIGHTING.maxMean}` });
    if (this.ports.liveness) {
      const s = await this.ports.liveness.score(frame, face);
      checks.push({ name: 'liveness', ok: s >= this.ports.liveness.threshold, value: round(s), need: 'a live face (no photo or screen)' });
    } else checks.push({ name: 'liveness', ok: true, value: null, need: 'liveness gate off in this device config' });
    const nearest = this.#embeddings.length ? Math.min(...this.#embeddings.map((e) => dist(e, analyzed.embedding))) : Infinity;
    checks.push({ name: 'variety', ok: nearest >= MIN_VARIETY, value: Number.isFinite(nearest) ? round(nearest) : null, need: 'move your head a little between frames' });
    const failed = checks.find((c) => !c.ok);
    if (failed) return reject(failed.name);
    if (!this.active) return;
    this.#embeddings.push(analyzed.embedding);
    const accepted = this.#embeddings.length;
    if (accepted < this.#state.target) return this.#set({ checks, accepted, message: `${accepted} of ${this.#state.target} frames taken` });
    this.#set({ checks, accepted, message: 'enrolling' });
    const r = await this.ports.enrol(this.#state.id!, this.#state.name, this.#embeddings);
    this.#embeddings = [];
    this.#set({ status: 'done', message: `enrolled ${this.#state.id} with ${r.templates} templates` });
  }

  #set(p: Partial<CaptureState>): void {
    this.#state = { ...this.#state, ...p };
    this.ports.onChange(this.state());
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;
