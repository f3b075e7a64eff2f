/**
 * The terminal's frame loop: camera -> analyse -> match -> track/vote -> decide -> publish/door.
 * Latest frame wins: a frame arriving while the pipeline is busy replaces the waiting one (counted
 * as dropped), so decisions are never made on stale frames. Stages are reached through small
 * ports so the loop can run on any detector/embedder/gallery/publisher the composition picks.
 */
import type { AnalyzeResult, AnalyzedFace, Frame } from '../../sdk/types.ts';
import type { Logger } from '../../sdk/logger.ts';
import { errorMessage } from '../../sdk/errors.ts';
import type { CameraSource } from '../sources/camera-source.ts';
import type { DeviceMetrics } from '../health/metrics.ts';
import type { DoorOutput } from '../door/door-output.ts';
import { Tracker } from './tracker.ts';
import { Cooldown, voteTrack, type FrameVote } from './vote.ts';


export type DecisionKind = 'grant' | 'deny' | 'unknown';

export interface MatchOutcome {
  decision: DecisionKind;
  identity?: string;
  /** Distance to the nearest enrolled identity (Euclidean on the unit sphere). */
  d1: number;
  d2?: number;
  reason?: string;
}

/** A decision as the loop makes it; the publisher assigns its id and timestamp. */
export interface DecisionRecord {
  decision: DecisionKind;
  identity: string | null;
  distance: number;
  threshold: number;
  model: string;
  reason?: string;
  track: number;
  frames: number;
  latencyMs: number;
}

export interface LoopPorts {
  source: CameraSource;
  analyze(frame: Frame): Promise<AnalyzeResult>;
  match(embedding: Float32Array): Promise<MatchOutcome> | MatchOutcome;
  /** Stores (durably) and publishes a decision; returns its unique id. */
  publish(decision: DecisionRecord): Promise<string> | string;
  door: DoorOutput;
  metrics: DeviceMetrics;
  logger: Logger;
  /** Reports errors and camera changes to the site (MQTT event topic). */
  event(kind: string, detail: Record<string, unknown>): void;
  /** Called after each processed frame with capture-to-done latency (benchmarks, tests). */
  onFrameDone?(latencyMs: number, faces: number): void;
}

export interface LoopOptions {
  modelId: string;
  threshold: number;
  votes: number;
  window: number;
  minInterEyePx: number;
  minBlur: number;
  cooldownSec: number;
}

/** What one frame says about one face: its embedding always, a vote only if the face was usable. */
interface Observation {
  embedding: Float32Array;
  vote: (FrameVote & { outcome: MatchOutcome }) | null;
}

/** Two images of one person are rarely this far apart; two people rarely closer (unit vectors). */
const SAME_PERSON_MAX_DISTANCE = 1.1;

function distance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

export class FrameLoop {
  #pending?: { frame: Frame; at: number };
  #busy = false;
  #stopped = false;
  #idle: Promise<void> = Promise.resolve();
  #tracker: Tracker<Observation>;
  #cooldown: Cooldown;
  lastFrameAt: number | null = null;

  constructor(private readonly ports: LoopPorts, private readonly opts: LoopOptions) {
    this.#tracker = new Tracker<Observation>({
      minIou: 0.3, maxMissedFrames: 5, window: opts.window,
      same: (a, b) => a.embedding.length !== b.embedding.length || distance(a.embedding, b.embedding) <= SAME_PERSON_MAX_DISTANCE,
    });
    this.#cooldown = new Cooldown(opts.cooldownSec * 1000);
  }

  start(): void {
    const { source, metrics } = this.ports;
    source.on('frame', (frame, at) => {
      if (this.#stopped) return;
      if (this.#pending) metrics.framesDropped.inc();
      this.#pending = { frame, at };
      if (!this.#busy) this.#idle = this.#drain();
    });
    source.on('badFrame', (detail) => {
      metrics.badFrames.inc();
      this.ports.event('bad_frame', { detail });
    });
    source.on('state', (state, detail) => {
      metrics.cameraUp.set(state === 'running' ? 1 : 0);
      if (state === 'starting' && detail === undefined) return;
      this.ports.logger.info('camera state', { state, detail });
      if (state === 'lost' || state === 'stalled') this.ports.event('camera_lost', { state, detail });
    });
    source.start();
  }

  /** Stops taking frames, finishes the frame in progress and waits for its decisions. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending = undefined;
    await this.ports.source.stop();
    await this.#idle;
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#pending && !this.#stopped) {
        const { frame, at } = this.#pending;
        this.#pending = undefined;
        await this.#process(frame, at);
      }
    } finally {
      this.#busy = false;
    }
  }

  #usable(f: AnalyzedFace): boolean {
    return f.quality.interEyePx >= this.opts.minInterEyePx && f.quality.blur >= this.opts.minBlur;
  }

  async #process(frame: Frame, capturedAt: number): Promise<void> {
    const { metrics } = this.ports;
    let result: AnalyzeResult;
    try {
      result = await this.ports.analyze(frame);
    } catch (e) {
      metrics.errors.inc({ area: 'pipeline' });
      this.ports.event('error', { area: 'pipeline', message: errorMessage(e) });
      return;
    }
    metrics.stageMs.observe({ stage: 'detect' }, result.timings.detectMs);
    if (result.faces.length) metrics.stageMs.observe({ stage: 'embed' }, result.timings.embedMs);
    const t0 = performance.now();
    const items: { box: AnalyzedFace['box']; observation: Observation }[] = [];
    for (const face of result.faces) {
      if (!this.#usable(face)) {
        items.push({ box: face.box, observation: { embedding: face.embedding, vote: null } });
        continue;
      }
      const outcome = await this.ports.match(face.embedding);
      const vote = { identity: outcome.decision === 'unknown' ? null : outcome.identity ?? null, distance: outcome.d1, weight: face.quality.interEyePx, outcome };
      items.push({ box: face.box, observation: { embedding: face.embedding, vote } });
    }
    metrics.stageMs.observe({ stage: 'match' }, performance.now() - t0);
    const tracks = this.#tracker.update(items);
    for (const track of tracks) {
      if (track.decided) continue;
      const votes = track.observations.flatMap((o) => (o.vote ? [o.vote] : []));
      const v = voteTrack(votes, this.opts);
      if (v.kind === 'pending') continue;
      track.decided = true;
      if (v.kind === 'unknown') {
        await this.#decide({ decision: 'unknown', identity: null, distance: Math.min(...votes.map((o) => o.distance)), track: track.id, frames: v.frames }, capturedAt);
        continue;
      }
      const last = [...votes].reverse().find((o) => o.identity === v.identity);
      const outcome = last?.outcome;
      // Cooldown per identity at this door: a person standing in view is announced once per period.
      if (!this.#cooldown.take(v.identity, Date.now())) continue;
      await this.#decide({ decision: outcome?.decision === 'deny' ? 'deny' : 'grant', identity: v.identity, distance: v.distance, reason: outcome?.reason, track: track.id, frames: v.frames }, capturedAt);
    }
    this.lastFrameAt = Date.now();
    metrics.frameDone(this.lastFrameAt);
    metrics.stageMs.observe({ stage: 'frame' }, this.lastFrameAt - capturedAt);
    this.ports.onFrameDone?.(this.lastFrameAt - capturedAt, result.faces.length);
  }

  async #decide(d: Pick<DecisionRecord, 'decision' | 'identity' | 'distance' | 'reason' | 'track' | 'frames'>, capturedAt: number): Promise<void> {
    const record: DecisionRecord = {
      threshold: this.opts.threshold, model: this.opts.modelId,
      latencyMs: Date.now() - capturedAt, ...d, distance: Math.round(d.distance * 1e4) / 1e4,
    };
    if (record.reason === undefined) delete record.reason;
    const { metrics } = this.ports;
    metrics.decisions.inc({ decision: record.decision, reason: record.reason ?? '' });
    metrics.stageMs.observe({ stage: 'frame_to_decision' }, record.latencyMs);
    let id = '';
    try {
      id = await this.ports.publish(record); // durable: stored before it is sent
    } catch (e) {
      metrics.errors.inc({ area: 'publish' });
      this.ports.logger.error('decision not stored', { decision: record.decision, identity: record.identity, error: errorMessage(e) });
    }
    // The door opens even if the event could not be stored: access must not depend on the log.
    if (record.decision === 'grant' && record.identity) {
      this.ports.door.pulse({ identity: record.identity, decisionId: id }).catch((e) => {
        metrics.errors.inc({ area: 'door' });
        this.ports.event('error', { area: 'door', message: errorMessage(e) });
      });
    }
  }
}
