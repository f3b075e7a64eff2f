/**
 * The terminal's frame loop: camera -> analyse -> match -> track/vote -> decide -> publish/door.
 * Latest frame wins: a frame arriving while the pipeline is busy replaces the waiting one (counted
 * as dropped), so decisions are never made on stale frames. Stages are reached through small
 * ports so the loop can run on any detector/embedder/gallery/publisher the composition picks.
 * Detection runs on the whole frame every few frames and, in between, only around the live tracks
 * when the detector can (detect-schedule.ts); embedding on every face of an undecided track, and
 * only every few frames on a decided one (embed-reuse.ts: what it saves and how late a swap of
 * people is seen).
 */
import type { AnalyzedFace, Box, DetectedFace, Frame } from '../../sdk/types.ts';
import type { TrackingEmbedding } from '../../sdk/pipeline/create-pipeline.ts';
import type { Logger } from '../../sdk/logger.ts';
import { FaceGateError, errorMessage } from '../../sdk/errors.ts';
import { checkLivenessAggregateOptions, type LivenessAggregateOptions } from '../../sdk/liveness/aggregate.ts';
import { euclideanDistance } from '../../sdk/metrics/distance.ts';
import type { DecisionKind } from '../../sdk/match/decide.ts';
import { PRESENTATION_ATTACK } from '../../sdk/mqtt/decision-message.ts';
import type { DeviceEventFields } from '../../sdk/mqtt/device-events.ts';
import type { CameraSource, SourceFrame } from '../sources/camera-source.ts';
import type { DeviceMetrics } from '../health/metrics.ts';
import type { DoorOutput } from '../door/door-output.ts';
import { Tracker, type Track } from './tracker.ts';
import { Cooldown } from './vote.ts';
import { judgeTrack, type GateVote, type TrackAction } from './track-gate.ts';
import { l2Normalize } from '../../sdk/embed/l2.ts';
import { DEFAULT_REEMBED_EVERY, MIN_EMBEDDED_IOU, planEmbeddingReuse, type EmbeddedAt, type EmbeddingPlan } from './embed-reuse.ts';
import { DEFAULT_FULL_DETECT_EVERY, needsFullPass } from './detect-schedule.ts';


export type { DecisionKind };

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
  /** Mean liveness score of the frames the gate judged; absent when the gate is off. */
  liveness?: number;
  track: number;
  frames: number;
  latencyMs: number;
}

/** Passive liveness of one face (score in [0, 1], 1 = live); the scorer cuts its own crop. */
export interface LivenessPort {
  score(frame: Frame, face: DetectedFace): Promise<number>;
}

/** What one processed frame cost; CPU is the whole process's (all threads) over the stage. */
export interface FrameStats {
  faces: number;
  /** Faces fully embedded this frame. */
  embedded: number;
  /** Decided tracks' faces given only the tracking embedding (the others reused their track's). */
  checked: number;
  /** Detection ran on the whole frame (else only around the live tracks). */
  fullPass: boolean;
  detectMs: number;
  embedMs: number;
  detectCpuMs: number;
  embedCpuMs: number;
  /** Process CPU from the start of detection to the end of the frame's decisions. */
  cpuMs: number;
}

/** One face of a processed frame as the live view and guided capture see it. */
export interface TappedFace extends DetectedFace {
  track: number;
  /** Identity this frame's match voted for (null: none, or the face was not usable). */
  identity: string | null;
  distance: number | null;
  /** Latest liveness score of the track (null: not scored). */
  liveness: number | null;
  decided: boolean;
}

/**
 * Read-only view of processed frames for the console. `watching` is read once per frame; the
 * face summary is built and `frame` called only while it is true, so a closed console costs a
 * property read. `frame.data` is the source's own buffer (never reused, camera-source.ts): a tap
 * may read it after the call but must not write to it.
 */
export interface FrameTap {
  readonly watching: boolean;
  frame(frame: SourceFrame, faces: TappedFace[], capturedAt: number): void;
}

export interface LoopPorts {
  source: CameraSource;
  /** Detections of a frame, highest score first. */
  detect(frame: Frame): Promise<DetectedFace[]>;
  /**
   * Detections near the given boxes only (the live tracks), highest score first; absent when the
   * detector has no cheaper pass than the full one.
   */
  detectAround?(frame: Frame, boxes: readonly Box[]): Promise<DetectedFace[]>;
  /** Aligns, embeds and measures the quality of the given faces (the pipeline's analyze() half). */
  embed(frame: Frame, faces: readonly DetectedFace[]): Promise<AnalyzedFace[]>;
  /**
   * The pipeline's cheaper tracking embedding (a fused embedder's first part), when it has one:
   * decided tracks are then followed with it instead of the full embedding.
   */
  tracking?: TrackingEmbedding;
  match(embedding: Float32Array): Promise<MatchOutcome> | MatchOutcome;
  /** Stores (durably) and publishes a decision; returns its unique id. */
  publish(decision: DecisionRecord): Promise<string> | string;
  door: DoorOutput;
  /** Presentation-attack gate; absent only when the config turns it off. */
  liveness?: LivenessPort;
  metrics: DeviceMetrics;
  logger: Logger;
  /** Reports errors and camera changes to the site (MQTT event topic). */
  event<K extends 'bad_frame' | 'camera_lost' | 'error'>(kind: K, detail: DeviceEventFields[K]): void;
  /** Called after each processed frame with capture-to-done latency (benchmarks, tests). */
  onFrameDone?(latencyMs: number, faces: number, stats: FrameStats): void;
  tap?: FrameTap;
}

export interface LoopOptions {
  modelId: string;
  /** Threshold in effect, read at each decision (it follows the gallery size). */
  threshold: number | (() => number);
  votes: number;
  window: number;
  /**
   * How a track's frames decide (BENCHMARKS.md, open-set tracks): 'vote' = `votes` frames each
   * matched to the same identity; 'mean-embedding' = once `votes` usable frames are in, one match
   * of their face-size-weighted unit mean embedding. Default 'vote'.
   */
  rule?: 'vote' | 'mean-embedding';
  minInterEyePx: number;
  minBlur: number;
  cooldownSec: number;
  /** How a track's liveness scores are judged; required with the liveness port. */
  liveness?: LivenessAggregateOptions;
  /**
   * A decided track's face is re-embedded at least every this many frames (default 5; 1 = every
   * frame); in between it reuses the track's last embedding (bound and reasoning: embed-reuse.ts).
   */
  reembedEvery?: number;
  /**
   * With `detectAround`: the whole frame is searched at least every this many frames (default 5;
   * 1 = every frame), in between only around the live tracks (detect-schedule.ts).
   */
  fullDetectEvery?: number;
}

/**
 * What one frame says about one face: the embedding the tracker's same-person veto compares
 * (`tracking`) always; the full embedding unless only the tracking one was made (a decided
 * track's face); a vote only if the face was fully embedded and usable.
 */
interface Observation {
  embedding: Float32Array | null;
  tracking: Float32Array;
  vote: (GateVote & { outcome: MatchOutcome }) | null;
  /** Where and when `embedding` was computed (earlier than this frame when reused). */
  embedded: EmbeddedAt;
}

const TRACK_MIN_IOU = 0.3;

function cpuMsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

/** Two images of one person are rarely this far apart; two people rarely closer (unit vectors). */
const SAME_PERSON_MAX_DISTANCE = 1.1;

/** The tracker's veto: may these two tracking embeddings be one person? */
function samePerson(a: Float32Array, b: Float32Array): boolean {
  return euclideanDistance(a, b) <= SAME_PERSON_MAX_DISTANCE;
}

/** Unit mean of embeddings with weights (face size): the track's pooled template. */
export function weightedUnitMean(embeddings: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const m = new Float32Array(embeddings[0].length);
  embeddings.forEach((e, k) => { for (let i = 0; i < e.length; i++) m[i] += weights[k] * e[i]; });
  return l2Normalize(m);
}

function distance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

export class FrameLoop {
  #pending?: { frame: SourceFrame; at: number };
  #busy = false;
  #stopped = false;
  #idle: Promise<void> = Promise.resolve();
  #tracker: Tracker<Observation>;
  #cooldown: Cooldown;
  /** Liveness scores of each track (oldest first, at most the liveness window). */
  #liveness = new WeakMap<Track<Observation>, number[]>();
  /** Each track's latest vote: the live view labels a decided track by it (its recent frames reuse an embedding and carry none). */
  #lastVote = new WeakMap<Track<Observation>, NonNullable<Observation['vote']>>();
  #livenessWindow = 0;
  #frameNo = 0;
  readonly #reembedEvery: number;
  readonly #fullDetectEvery: number;
  #lastFullFrame = 0;
  #lostTrack = false;
  lastFrameAt: number | null = null;

  #loggedBadFrames = new Set<string>();
  #lastCameraLog = '';
  constructor(private readonly ports: LoopPorts, private readonly opts: LoopOptions) {
    if (!ports.liveness !== !opts.liveness) {
      throw new FaceGateError('FG_CONFIG_INVALID', 'frame loop: the liveness port and the liveness options go together (both or neither)');
    }
    if (opts.liveness) this.#livenessWindow = checkLivenessAggregateOptions(opts.liveness).window;
    this.#reembedEvery = opts.reembedEvery ?? DEFAULT_REEMBED_EVERY;
    if (!Number.isInteger(this.#reembedEvery) || this.#reembedEvery < 1) {
      throw new FaceGateError('FG_CONFIG_INVALID', `frame loop: reembedEvery must be a whole number >= 1, got ${String(opts.reembedEvery)}`);
    }
    this.#fullDetectEvery = opts.fullDetectEvery ?? DEFAULT_FULL_DETECT_EVERY;
    if (!Number.isInteger(this.#fullDetectEvery) || this.#fullDetectEvery < 1) {
      throw new FaceGateError('FG_CONFIG_INVALID', `frame loop: fullDetectEvery must be a whole number >= 1, got ${String(opts.fullDetectEvery)}`);
    }
    this.#tracker = new Tracker<Observation>({
      minIou: TRACK_MIN_IOU, maxMissedFrames: 5, window: opts.window,
      same: (a, b) => samePerson(a.tracking, b.tracking),
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
      // Name the file (the detail starts with it) once, not at every pass of a looping folder.
      if (this.#loggedBadFrames.size < 1000 && !this.#loggedBadFrames.has(detail)) {
        this.#loggedBadFrames.add(detail);
        this.ports.logger.warn('camera frame skipped', { detail });
      }
    });
    source.on('fault', (message) => this.ports.logger.error(message));
    source.on('state', (state, detail) => {
      metrics.cameraUp.set(state === 'running' ? 1 : 0);
      if (state === 'starting' && detail === undefined) return;
      // A camera that keeps failing the same way (restart -> same error) is one log line.
      const key = `${state}\n${detail ?? ''}`;
      if (key !== this.#lastCameraLog) this.ports.logger.info('camera state', { state, detail });
      this.#lastCameraLog = key;
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

  async #process(frame: SourceFrame, capturedAt: number): Promise<void> {
    const { metrics } = this.ports;
    const frameNo = ++this.#frameNo;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let detected: DetectedFace[];
    let analyzed: AnalyzedFace[] = [];
    /** Faces given only the tracking embedding (by index in `detected`). */
    const checked = new Map<number, Float32Array>();
    let plan: EmbeddingPlan[];
    let active: readonly Track<Observation>[];
    let t1: number, t2: number, detectCpuMs: number;
    let fullPass = true;
    try {
      active = this.#tracker.active;
      const around = this.ports.detectAround;
      fullPass = !around || needsFullPass({ frameNo, lastFullFrame: this.#lastFullFrame, hints: active.length, lost: this.#lostTrack, fullEvery: this.#fullDetectEvery });
      if (fullPass) {
        detected = await this.ports.detect(frame);
        this.#lastFullFrame = frameNo;
        this.#lostTrack = false;
      } else {
        detected = await around!(frame, active.map((t) => t.box));
        this.#lostTrack = detected.length < active.length;
      }
      t1 = performance.now();
      detectCpuMs = cpuMsSince(cpu0);
      plan = planEmbeddingReuse(active.map((t) => ({ box: t.box, decided: t.decided, embedded: t.last.embedded })), detected.map((f) => f.box), frameNo,
        { every: this.#reembedEvery, trackMinIou: TRACK_MIN_IOU, minEmbeddedIou: MIN_EMBEDDED_IOU });
      // Without a tracking embedding, a decided track's face is checked with the full one.
      const tracking = this.ports.tracking;
      const checks = tracking ? plan.flatMap((p, i) => (p.kind === 'check' ? [{ i, track: active[p.track] }] : [])) : [];
      const vectors = checks.length ? await tracking!.embed(frame, checks.map((x) => detected[x.i])) : [];
      checks.forEach((x, j) => {
        // Someone else now (the veto will give them a track of their own): embedded fully at once,
        // so a newcomer votes on this frame as without the tracking embedding.
        if (samePerson(x.track.last.tracking, vectors[j])) checked.set(x.i, vectors[j]);
      });
      const full = detected.filter((_, i) => plan[i].kind !== 'reuse' && !checked.has(i));
      if (full.length) analyzed = await this.ports.embed(frame, full);
      t2 = performance.now();
    } catch (e) {
      this.#lostTrack = true; // search the whole frame next time
      metrics.errors.inc({ area: 'pipeline' });
      this.ports.event('error', { area: 'pipeline', message: errorMessage(e) });
      return;
    }
    const embedCpuMs = cpuMsSince(cpu0) - detectCpuMs;
    metrics.stageMs.observe({ stage: 'detect' }, t1 - t0);
    if (analyzed.length || checked.size) metrics.stageMs.observe({ stage: 'embed' }, t2 - t1);
    const items: { box: Box; observation: Observation }[] = [];
    const trackingOf = (e: Float32Array) => (this.ports.tracking ? this.ports.tracking.of(e) : e);
    let k = 0;
    for (let i = 0; i < detected.length; i++) {
      const p = plan[i];
      if (p.kind === 'reuse') {
        const { embedding, tracking, embedded } = active[p.track].last;
        items.push({ box: detected[i].box, observation: { embedding, tracking, vote: null, embedded } });
        continue;
      }
      const check = checked.get(i);
      if (check) {
        const box = detected[i].box;
        items.push({ box, observation: { embedding: null, tracking: check, vote: null, embedded: { box, frame: frameNo } } });
        continue;
      }
      const face = analyzed[k++];
      const embedded = { box: face.box, frame: frameNo };
      const tracking = trackingOf(face.embedding);
      if (!this.#usable(face)) {
        items.push({ box: face.box, observation: { embedding: face.embedding, tracking, vote: null, embedded } });
        continue;
      }
      const outcome = await this.ports.match(face.embedding);
      const identity = outcome.decision === 'unknown' ? null : outcome.identity ?? null;
      const vote = { identity, distance: outcome.d1, weight: face.quality.interEyePx, refused: outcome.decision === 'deny', outcome };
      items.push({ box: face.box, observation: { embedding: face.embedding, tracking, vote, embedded } });
    }
    metrics.stageMs.observe({ stage: 'match' }, performance.now() - t2);
    const tracks = this.#tracker.update(items);
    for (let i = 0; i < tracks.length; i++) {
      const v = items[i].observation.vote;
      if (v) this.#lastVote.set(tracks[i], v);
    }
    if (this.ports.liveness) await this.#scoreLiveness(frame, detected, items, tracks);
    for (const track of tracks) {
      if (track.decided) continue;
      const votes = track.observations.flatMap((o) => (o.vote ? [o.vote] : []));
      let a: TrackAction;
      if (this.opts.rule === 'mean-embedding') {
        if (votes.length < this.opts.votes) continue;
        // One decision on the pooled evidence: a stranger's frames are correlated, so counting
        // them as separate votes buys little; their mean is a cleaner template of the face.
        // A vote is only ever made on a full embedding.
        const usable = track.observations.flatMap((o) => (o.vote && o.embedding ? [{ embedding: o.embedding, weight: o.vote.weight }] : []));
        const outcome = await this.ports.match(weightedUnitMean(usable.map((o) => o.embedding), usable.map((o) => o.weight)));
        const pooled = { identity: outcome.decision === 'unknown' ? null : outcome.identity ?? null, distance: outcome.d1, weight: 1, refused: outcome.decision === 'deny', outcome };
        a = judgeTrack([pooled], this.#liveness.get(track) ?? [], { votes: 1, window: 1, liveness: this.opts.liveness });
        if (a.kind !== 'wait') a = { ...a, frames: usable.length };
        if (a.kind === 'refuse') votes.push(pooled);
      } else a = judgeTrack(votes, this.#liveness.get(track) ?? [], this.opts);
      if (a.kind === 'wait') continue;
      track.decided = true;
      if (a.kind === 'unknown') {
        await this.#decide({ decision: 'unknown', identity: null, distance: Math.min(...votes.map((o) => o.distance)), track: track.id, frames: a.frames }, capturedAt);
        continue;
      }
      if (a.kind === 'attack') {
        // Not behind the per-identity cooldown: an attack must neither be hidden by a recent grant
        // nor use up the real person's turn. Once per track (the track is now decided).
        metrics.presentationAttacks.inc();
        await this.#decide({ decision: 'deny', identity: a.identity, distance: a.distance, reason: PRESENTATION_ATTACK, liveness: a.liveness.score, track: track.id, frames: a.frames }, capturedAt);
        continue;
      }
      // Cooldown per identity at this door: a person standing in view is announced once per period.
      if (!this.#cooldown.take(a.identity, Date.now())) continue;
      if (a.kind === 'refuse') {
        const last = [...votes].reverse().find((o) => o.identity === a.identity);
        await this.#decide({ decision: 'deny', identity: a.identity, distance: a.distance, reason: last?.outcome.reason, track: track.id, frames: a.frames }, capturedAt);
      } else {
        await this.#decide({ decision: 'grant', identity: a.identity, distance: a.distance, liveness: a.liveness?.score, track: track.id, frames: a.frames }, capturedAt);
      }
    }
    if (this.ports.tap?.watching) {
      this.ports.tap.frame(frame, detected.map((f, i) => {
        // A decided track's face is often not re-embedded: show what its last vote said.
        const vote = items[i].observation.vote ?? this.#lastVote.get(tracks[i]);
        const scores = this.#liveness.get(tracks[i]);
        return { ...f, track: tracks[i].id, identity: vote?.identity ?? null, distance: vote ? vote.distance : null, liveness: scores?.length ? scores[scores.length - 1] : null, decided: tracks[i].decided };
      }), capturedAt);
    }
    this.lastFrameAt = Date.now();
    metrics.frameDone(this.lastFrameAt);
    metrics.stageMs.observe({ stage: 'frame' }, this.lastFrameAt - capturedAt);
    this.ports.onFrameDone?.(this.lastFrameAt - capturedAt, detected.length, {
      faces: detected.length, embedded: analyzed.length, checked: checked.size, fullPass, detectMs: t1 - t0, embedMs: t2 - t1, detectCpuMs, embedCpuMs, cpuMs: cpuMsSince(cpu0),
    });
  }

  /**
   * Scores the faces that can still open the door: usable, matched to an identity the matcher would
   * grant, on a track not yet decided. One face at a time (the scorer reuses its input buffer). A
   * failed score is counted and left out: no evidence never counts as live.
   */
  async #scoreLiveness(frame: Frame, faces: readonly DetectedFace[], items: readonly { observation: Observation }[], tracks: readonly Track<Observation>[]): Promise<void> {
    const port = this.ports.liveness!;
    const { metrics } = this.ports;
    for (let i = 0; i < tracks.length; i++) {
      const track = tracks[i];
      const vote = items[i].observation.vote;
      if (track.decided || !vote || vote.identity === null || vote.refused) continue;
      const t0 = performance.now();
      let score: number;
      try {
        score = await port.score(frame, faces[i]);
      } catch (e) {
        metrics.errors.inc({ area: 'liveness' });
        this.ports.logger.warn('liveness scoring failed', { track: track.id, error: errorMessage(e) });
        continue;
      }
      metrics.livenessMs.observe(performance.now() - t0);
      const scores = this.#liveness.get(track) ?? [];
      scores.push(score);
      if (scores.length > this.#livenessWindow) scores.shift();
      this.#liveness.set(track, scores);
    }
  }

  async #decide(d: Pick<DecisionRecord, 'decision' | 'identity' | 'distance' | 'reason' | 'liveness' | 'track' | 'frames'>, capturedAt: number): Promise<void> {
    const record: DecisionRecord = {
      threshold: typeof this.opts.threshold === 'function' ? this.opts.threshold() : this.opts.threshold, model: this.opts.modelId,
      latencyMs: Date.now() - capturedAt, ...d, distance: Math.round(d.distance * 1e4) / 1e4,
    };
    if (record.reason === undefined) delete record.reason;
    if (record.liveness === undefined) delete record.liveness;
    else record.liveness = Number(record.liveness.toPrecision(4)); // as published (attack scores sit near 1e-5)
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
