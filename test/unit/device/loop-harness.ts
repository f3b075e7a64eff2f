/**
 * A frame loop on scripted stage results (known answers) for unit tests: each shown frame lists
 * its faces (where, who the matcher says they are, their liveness score); the harness records
 * decisions, door pulses, liveness scorings and how many faces were embedded.
 */
import { CameraSource } from '../../../device/sources/camera-source.ts';
import { DeviceMetrics } from '../../../device/health/metrics.ts';
import { FrameLoop, type DecisionRecord, type FrameStats, type LoopOptions, type LoopPorts, type MatchOutcome } from '../../../device/loop/frame-loop.ts';
import { silentLogger } from '../../../sdk/logger.ts';
import type { AnalyzedFace, DetectedFace, Frame } from '../../../sdk/types.ts';

export class ScriptedSource extends CameraSource {
  readonly kind = 'scripted';
  start(): void { this.setState('running'); }
  async stop(): Promise<void> { this.setState('stopped'); }
  show(frame: Frame): void { this.emit('frame', frame, Date.now()); }
}

/** One face in a scripted frame: where (box x; y too if given), who it is, its liveness score. */
export interface Shown { x: number; y?: number; who: string | null; live: number; eye?: number }

export interface HarnessOptions {
  /** The liveness scorer throws. */
  failScore?: boolean;
  /** No liveness port (the gate off). */
  noLiveness?: boolean;
  /** Offer a detectAround port (it returns the frame's scripted faces, as detect does). */
  around?: boolean;
  /** Offer a tracking embedding (a fused embedder's cheaper part); counted in `checked`. */
  tracking?: boolean;
}

export const LOOP_DEFAULTS: LoopOptions = { modelId: 'm', threshold: 1, votes: 2, window: 3, minInterEyePx: 30, minBlur: 10, cooldownSec: 60, liveness: { threshold: 0.01, minFrames: 3, window: 5 } };

/** Ports that are never reached in a constructor test. */
export function unusedPorts(): Pick<LoopPorts, 'detect' | 'embed' | 'match' | 'publish' | 'door' | 'event'> {
  return {
    detect: async () => { throw new Error('unused'); }, embed: async () => { throw new Error('unused'); },
    match: () => ({ decision: 'unknown', d1: 1 }), publish: () => '', door: { kind: 't', pulse: async () => {}, close: async () => {} }, event: () => {},
  };
}

/** The same person keeps one embedding: a one-hot at their slot. */
function oneHot(who: string | null): Float32Array {
  const e = new Float32Array(4);
  e[who === null ? 3 : who.charCodeAt(0) % 3] = 1;
  return e;
}

export function harness(opts: Partial<LoopOptions> = {}, h: HarnessOptions = {}) {
  const source = new ScriptedSource();
  const metrics = new DeviceMetrics();
  const scenes: Shown[][] = [];
  const shownOf = new WeakMap<DetectedFace, Shown>();
  const whoOf = new WeakMap<Float32Array, string | null>();
  // A pooled (mean) embedding is a new vector: its person is the one of its largest coordinate.
  const whoAt = new Map<number, string | null>();
  const published: DecisionRecord[] = [];
  const pulses: string[] = [];
  const stats: FrameStats[] = [];
  let scored = 0;
  let embedded = 0;
  let checked = 0;
  let done: (() => void) | undefined;
  /** Which detection each frame got, and the boxes the around passes were given. */
  const passes: ('full' | 'around')[] = [];
  const hints: number[] = [];
  const scripted = (): DetectedFace[] => scenes.shift()!.map((s) => {
    const f: DetectedFace = { box: { x: s.x, y: s.y ?? 100, w: 120, h: 150 }, score: 0.99, landmarks5: [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]] };
    shownOf.set(f, s);
    return f;
  });
  const loopOpts: LoopOptions = { ...LOOP_DEFAULTS, ...(h.noLiveness ? { liveness: undefined } : {}), ...opts };
  const loop = new FrameLoop({
    source, metrics, logger: silentLogger,
    detect: async (): Promise<DetectedFace[]> => { passes.push('full'); return scripted(); },
    detectAround: h.around ? async (_frame, boxes) => { passes.push('around'); hints.push(boxes.length); return scripted(); } : undefined,
    embed: async (_frame, faces): Promise<AnalyzedFace[]> => faces.map((f) => {
      const s = shownOf.get(f)!;
      embedded++;
      const embedding = oneHot(s.who);
      whoOf.set(embedding, s.who);
      whoAt.set(s.who === null ? 3 : s.who.charCodeAt(0) % 3, s.who);
      return { ...f, quality: { sizePx: 150, interEyePx: s.eye ?? 60, blur: 100 }, embedding };
    }),
    // The tracking part of a scripted embedding is the same one-hot, as a new vector (never matched).
    tracking: h.tracking ? {
      dim: 4,
      of: (e) => Float32Array.from(e),
      embed: async (_frame, faces) => faces.map((f) => { checked++; return oneHot(shownOf.get(f)!.who); }),
    } : undefined,
    match: (e: Float32Array): MatchOutcome => {
      const who = whoOf.has(e) ? whoOf.get(e)! : whoAt.get(e.indexOf(Math.max(...e))) ?? null;
      return who === null ? { decision: 'unknown', d1: 1.3 } : who.endsWith('!') ? { decision: 'deny', identity: who, d1: 0.5, reason: 'disabled' } : { decision: 'grant', identity: who, d1: 0.5 };
    },
    publish: (d) => { published.push(d); return `id${published.length}`; },
    door: { kind: 'test', pulse: async ({ identity }) => { pulses.push(identity); }, close: async () => {} },
    liveness: loopOpts.liveness ? {
      score: async (_frame, face) => {
        scored++;
        if (h.failScore) throw new Error('scorer down');
        return shownOf.get(face)!.live;
      },
    } : undefined,
    event: () => {},
    onFrameDone: (_ms, _n, s) => { stats.push(s); done?.(); },
  }, loopOpts);
  loop.start();
  const frame: Frame = { data: new Uint8Array(640 * 480 * 3), width: 640, height: 480 };
  return {
    metrics, published, pulses, stats, passes, hints,
    get scored() { return scored; },
    get embedded() { return embedded; },
    get checked() { return checked; },
    /** Shows one frame and waits until the loop has processed it. */
    async show(...faces: Shown[]): Promise<void> {
      scenes.push(faces);
      const processed = new Promise<void>((r) => { done = r; });
      source.show(frame);
      await processed;
    },
    stop: () => loop.stop(),
  };
}

export const counter = async (c: { get(): Promise<{ values: { value: number }[] }> }) => (await c.get()).values[0]?.value ?? 0;
