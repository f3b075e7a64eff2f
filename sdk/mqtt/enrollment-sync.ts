/**
 * Device side of enrolment sync: a state machine fed with (topic, payload, retained) that
 * verifies, orders and applies signed snapshots and deltas to an EnrollmentTarget. It never
 * touches the target for a rejected message, and applies each snapshot or delta in one call (the
 * target makes that atomic). Transport-agnostic: subscriptions and reports go through hooks.
 *
 * Retained vs live: on (re)subscribe the broker re-sends retained messages the device may already
 * have applied; those are skipped quietly. The same stale message arriving live is a replay and
 * is rejected with an event.
 */
import type { KeyObject } from 'node:crypto';
import { createHash } from 'node:crypto';
import { errorMessage } from '../errors.ts';
import type { EnrollmentKey } from './enrollment-cipher.ts';
import {
  openEnvelope, readDeltaBody, decodeDeltaUpserts, sha256Hex, SyncRejection,
  type ManifestHeader, type DeltaHeader, type RejectReason,
} from './enrollment-messages.ts';
import type { EnrollmentTarget, SyncStateStore } from './enrollment-target.ts';
import { memorySyncState } from './enrollment-target.ts';
import { enrollmentTopics, parseEnrollmentTopic, type EnrollmentTopics } from './topics.ts';
import { scanRecords, decodeSpan, type TemplateRecord } from './template-codec.ts';

export interface SyncLimits {
  maxSnapshotBytes: number;
  maxIdentities: number;
  maxBufferedDeltas: number;
  maxBufferedDeltaBytes: number;
  /** A pending snapshot without a new chunk for this long is reported and re-requested. */
  snapshotStallMs: number;
  /** How long an out-of-order delta may wait for the missing ones before a snapshot request. */
  gapWaitMs: number;
  /** Minimum time between two snapshot requests. */
  requestIntervalMs: number;
}

export const DEFAULT_SYNC_LIMITS: SyncLimits = {
  maxSnapshotBytes: 1 << 30,
  maxIdentities: 2_000_000,
  maxBufferedDeltas: 512,
  maxBufferedDeltaBytes: 64 << 20,
  snapshotStallMs: 60_000,
  gapWaitMs: 3_000,
  requestIntervalMs: 30_000,
};

export interface SyncRejectedEvent {
  reason: RejectReason;
  message: string;
  topic: string;
  version?: number;
}

export interface SyncAppliedEvent {
  kind: 'snapshot' | 'delta';
  version: number;
  identities: number;
  upserts?: number;
  removes?: number;
}

export interface SnapshotRequest {
  have: number;
  want?: number;
  reason: 'gap' | 'stalled' | 'bad-snapshot' | 'command';
}

export interface SyncHooks {
  subscribe(filter: string): void | Promise<void>;
  unsubscribe(filter: string): void | Promise<void>;
  rejected?(e: SyncRejectedEvent): void;
  applied?(e: SyncAppliedEvent): void;
  requestSnapshot?(r: SnapshotRequest): void;
}

export interface EnrollmentSyncOptions {
  site: string;
  target: EnrollmentTarget;
  publicKeys: readonly KeyObject[];
  /** Fleet enrolment keys (enrollment-cipher.ts). Given: only encrypted enrolment is taken. */
  fleetKeys?: readonly EnrollmentKey[];
  hooks: SyncHooks;
  state?: SyncStateStore;
  limits?: Partial<SyncLimits>;
}

interface PendingSnapshot {
  header: ManifestHeader;
  bodies: (Buffer | undefined)[];
  received: number;
  bytes: number;
  lastProgress: number;
  stallReported: boolean;
}

interface BufferedDelta {
  header: DeltaHeader;
  upserts: TemplateRecord[];
  removes: string[];
  bytes: number;
}

export class EnrollmentSync {
  readonly topics: EnrollmentTopics;
  readonly limits: SyncLimits;
  #site: string;
  #target: EnrollmentTarget;
  #keys: readonly KeyObject[];
  #fleetKeys: readonly EnrollmentKey[];
  #hooks: SyncHooks;
  #state: SyncStateStore;
  #snapshotVersion = 0;
  #pending: PendingSnapshot | undefined;
  #deltas = new Map<number, BufferedDelta>();
  #deltaBytes = 0;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #gapSince = 0;
  #lastRequest = -Infinity;
  #rejected = 0;
  #started = false;

  constructor(opts: EnrollmentSyncOptions) {
    this.#site = opts.site;
    this.topics = enrollmentTopics(opts.site);
    this.#target = opts.target;
    this.#keys = opts.publicKeys;
    this.#fleetKeys = opts.fleetKeys ?? [];
    this.#hooks = opts.hooks;
    this.#state = opts.state ?? memorySyncState();
    this.limits = { ...DEFAULT_SYNC_LIMITS, ...opts.limits };
  }

  /** Loads persisted state and subscribes to the manifest and deltas. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#snapshotVersion = (await this.#state.load()).snapshotVersion;
    await this.#hooks.subscribe(this.topics.manifest);
    await this.#hooks.subscribe(this.topics.deltaFilter);
    this.#timer = setInterval(() => this.#checkTimers(Date.now()), 500);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Filters this sync listens on (for routing messages to it). */
  matches(topic: string): boolean {
    return topic.startsWith(this.topics.base + '/') && topic !== this.topics.request;
  }

  /** Queues one message; messages are processed strictly in arrival order. */
  handle(topic: string, payload: Uint8Array, retained: boolean): Promise<void> {
    const run = this.#chain.then(() => this.#process(topic, payload, retained));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every queued message has been processed. */
  idle(): Promise<void> {
    return this.#chain;
  }

  get rejectedCount(): number {
    return this.#rejected;
  }

  get snapshotVersion(): number {
    return this.#snapshotVersion;
  }

  /** The snapshot being collected, if any. */
  pending(): { version: number; received: number; chunks: number } | undefined {
    const p = this.#pending;
    return p ? { version: p.header.version, received: p.received, chunks: p.header.chunks } : undefined;
  }

  /** Deltas waiting for a missing predecessor. */
  bufferedDeltas(): number {
    return this.#deltas.size;
  }

  /** Asks for a fresh snapshot (the `snapshot-request` command, or a gap). Rate limited unless forced. */
  requestSnapshot(reason: SnapshotRequest['reason'], want?: number, force = false): boolean {
    const now = Date.now();
    if (!force && now - this.#lastRequest < this.limits.requestIntervalMs) return false;
    this.#lastRequest = now;
    this.#hooks.requestSnapshot?.({ have: this.#target.version(), want, reason });
    return true;
  }

  #reject(topic: string, e: unknown, version?: number): void {
    this.#rejected++;
    const reason: RejectReason = e instanceof SyncRejection ? e.reason : 'apply-failed';
    this.#hooks.rejected?.({ reason, message: errorMessage(e), topic, version });
  }

  async #process(topic: string, payload: Uint8Array, retained: boolean): Promise<void> {
    // An empty retained payload is how a topic is cleared; nothing to apply.
    if (payload.length === 0) return;
    let version: number | undefined;
    try {
      const kind = parseEnrollmentTopic(this.topics, topic);
      if (!kind || kind.kind === 'request') throw new SyncRejection('unexpected', `${topic} is not an enrolment data topic`);
      const { header, body } = openEnvelope(payload, this.#keys, this.#fleetKeys);
      version = header.version;
      if (header.site !== this.#site) throw new SyncRejection('wrong-site', `message is for site "${header.site}", this device is in "${this.#site}"`);
      if (kind.kind === 'manifest' && header.kind === 'snapshot') {
        await this.#onManifest(header, retained);
      } else if (kind.kind === 'chunk' && header.kind === 'chunk' && header.version === kind.version && header.index === kind.index) {
        await this.#onChunk(header.version, header.index, header.chunks, header.records, header.sha256, body, retained);
      } else if (kind.kind === 'delta' && header.kind === 'delta' && header.version === kind.version) {
        await this.#onDelta(header, body, retained);
      } else {
        throw new SyncRejection('malformed', `a ${header.kind} message (version ${header.version}) does not belong on ${topic}`);
      }
    } catch (e) {
      this.#reject(topic, e, version);
    }
  }

  #checkModel(h: { modelId: string; dim: number }): void {
    const m = this.#target.model();
    if (m && (m.modelId !== h.modelId || m.dim !== h.dim)) {
      throw new SyncRejection('wrong-model', `templates are for ${h.modelId}/${h.dim}, this gallery holds ${m.modelId}/${m.dim}`);
    }
  }

  async #onManifest(h: ManifestHeader, retained: boolean): Promise<void> {
    this.#checkModel(h);
    if (h.bytes > this.limits.maxSnapshotBytes) throw new SyncRejection('too-large', `snapshot ${h.version} is ${h.bytes} bytes, limit ${this.limits.maxSnapshotBytes}`);
    if (h.identities > this.limits.maxIdentities) throw new SyncRejection('too-large', `snapshot ${h.version} has ${h.identities} identities, limit ${this.limits.maxIdentities}`);
    if ((h.chunks === 0) !== (h.identities === 0) || (h.chunks === 0) !== (h.bytes === 0)) {
      throw new SyncRejection('malformed', `snapshot ${h.version} declares ${h.chunks} chunks for ${h.identities} identities`);
    }
    const applied = this.#target.version();
    if (h.version < this.#snapshotVersion) {
      throw new SyncRejection('rollback', `snapshot ${h.version} is older than the applied snapshot ${this.#snapshotVersion}`);
    }
    if (h.version <= applied) {
      if (!retained) throw new SyncRejection('replay', `snapshot ${h.version} is not newer than the applied version ${applied}`);
      // Retained base of deltas already applied: the state already covers it.
      if (h.version > this.#snapshotVersion) await this.#saveSnapshotVersion(h.version);
      return;
    }
    const p = this.#pending;
    if (p && p.header.version === h.version) {
      if (p.header.contentSha256 !== h.contentSha256) throw new SyncRejection('malformed', `two different manifests claim snapshot version ${h.version}`);
      return;
    }
    // Any signed snapshot newer than the applied state replaces one still being received (also an
    // older one: the newer may never complete, and rollback protection is about applied state).
    if (p) await this.#hooks.unsubscribe(this.topics.chunkFilter(p.header.version));
    this.#pending = { header: h, bodies: new Array(h.chunks), received: 0, bytes: 0, lastProgress: Date.now(), stallReported: false };
    if (h.chunks === 0) await this.#completeSnapshot();
    else await this.#hooks.subscribe(this.topics.chunkFilter(h.version));
  }

  async #onChunk(version: number, index: number, chunks: number, records: number, sha: string, body: Buffer, retained: boolean): Promise<void> {
    const p = this.#pending;
    if (!p || p.header.version !== version) {
      if (version <= this.#target.version() && retained) return; // leftover of an applied snapshot
      throw new SyncRejection(version <= this.#target.version() ? 'replay' : 'unexpected',
        `chunk ${index} of snapshot ${version} does not belong to a snapshot being received`);
    }
    if (chunks !== p.header.chunks || index >= chunks) {
      throw new SyncRejection('malformed', `chunk ${index}/${chunks} does not fit snapshot ${version} of ${p.header.chunks} chunks`);
    }
    if (sha256Hex(body) !== sha) throw new SyncRejection('hash-mismatch', `chunk ${index} of snapshot ${version} does not match its sha256`);
    let spans;
    try {
      spans = scanRecords(body, p.header.encoding, p.header.dim);
    } catch (e) {
      throw new SyncRejection('malformed', `chunk ${index} of snapshot ${version}: ${errorMessage(e)}`);
    }
    if (spans.length !== records) throw new SyncRejection('malformed', `chunk ${index} holds ${spans.length} records, header says ${records}`);
    if (p.bodies[index]) return;
    if (p.bytes + body.length > p.header.bytes) {
      throw new SyncRejection('malformed', `chunks of snapshot ${version} exceed the ${p.header.bytes} bytes its manifest declares`);
    }
    p.bodies[index] = body;
    p.received++;
    p.bytes += body.length;
    p.lastProgress = Date.now();
    p.stallReported = false;
    if (p.received === chunks) await this.#completeSnapshot();
  }

  async #abandonPending(): Promise<void> {
    const p = this.#pending;
    this.#pending = undefined;
    if (p && p.header.chunks > 0) await this.#hooks.unsubscribe(this.topics.chunkFilter(p.header.version));
  }

  async #completeSnapshot(): Promise<void> {
    const p = this.#pending!;
    const h = p.header;
    const records: TemplateRecord[] = [];
    try {
      const content = createHash('sha256');
      for (const b of p.bodies) content.update(b!);
      if (content.digest('hex') !== h.contentSha256 || p.bytes !== h.bytes) {
        throw new SyncRejection('hash-mismatch', `snapshot ${h.version} content does not match the manifest's sha256`);
      }
      let templates = 0;
      const seen = new Set<string>();
      for (const b of p.bodies) {
        for (const s of scanRecords(b!, h.encoding, h.dim)) {
          if (seen.has(s.identity)) throw new SyncRejection('malformed', `snapshot ${h.version} lists identity "${s.identity}" twice`);
          seen.add(s.identity);
          const r = decodeSpan(b!, s, h.encoding, h.dim);
          templates += r.templates.length;
          records.push(r);
        }
      }
      if (records.length !== h.identities || templates !== h.templates) {
        throw new SyncRejection('malformed', `snapshot ${h.version} holds ${records.length} identities / ${templates} templates, manifest says ${h.identities} / ${h.templates}`);
      }
    } catch (e) {
      await this.#abandonPending();
      this.requestSnapshot('bad-snapshot', h.version);
      throw e instanceof SyncRejection ? e : new SyncRejection('malformed', `snapshot ${h.version}: ${errorMessage(e)}`);
    }
    await this.#abandonPending();
    if (h.version <= this.#target.version()) return; // overtaken by deltas meanwhile
    try {
      await this.#target.applySnapshot(records, h.version, { modelId: h.modelId, dim: h.dim });
    } catch (e) {
      throw new SyncRejection('apply-failed', `snapshot ${h.version} could not be applied: ${errorMessage(e)}`);
    }
    await this.#saveSnapshotVersion(h.version);
    this.#hooks.applied?.({ kind: 'snapshot', version: h.version, identities: this.#target.identityCount() });
    await this.#drainDeltas();
  }

  async #saveSnapshotVersion(v: number): Promise<void> {
    this.#snapshotVersion = v;
    await this.#state.save({ snapshotVersion: v });
  }

  async #onDelta(h: DeltaHeader, body: Buffer, retained: boolean): Promise<void> {
    this.#checkModel(h);
    const applied = this.#target.version();
    if (h.version <= applied) {
      if (retained) return;
      throw new SyncRejection('replay', `delta ${h.version} is not newer than the applied version ${applied}`);
    }
    if (h.prevVersion >= h.version) throw new SyncRejection('malformed', `delta ${h.version} follows version ${h.prevVersion}`);
    const opened = readDeltaBody(h, body);
    const upserts = decodeDeltaUpserts(opened);
    if (h.prevVersion < applied) {
      throw new SyncRejection('fork', `delta ${h.prevVersion}->${h.version} does not continue the applied version ${applied}`);
    }
    const d: BufferedDelta = { header: h, upserts, removes: opened.removes, bytes: body.length };
    if (h.prevVersion === applied) {
      await this.#applyDelta(d);
      await this.#drainDeltas();
      return;
    }
    const existing = this.#deltas.get(h.prevVersion);
    if (existing) {
      if (existing.header.sha256 !== h.sha256 || existing.header.version !== h.version) {
        throw new SyncRejection('fork', `two different deltas follow version ${h.prevVersion}`);
      }
      return;
    }
    if (this.#deltas.size >= this.limits.maxBufferedDeltas || this.#deltaBytes + d.bytes > this.limits.maxBufferedDeltaBytes) {
      this.requestSnapshot('gap', h.prevVersion);
      throw new SyncRejection('too-large', `too many deltas wait for version ${applied}; requested a snapshot`);
    }
    this.#deltas.set(h.prevVersion, d);
    this.#deltaBytes += d.bytes;
    if (this.#gapSince === 0) this.#gapSince = Date.now();
  }

  async #applyDelta(d: BufferedDelta): Promise<void> {
    try {
      await this.#target.applyDelta({ upserts: d.upserts, removes: d.removes, version: d.header.version });
    } catch (e) {
      throw new SyncRejection('apply-failed', `delta ${d.header.version} could not be applied: ${errorMessage(e)}`);
    }
    this.#hooks.applied?.({
      kind: 'delta', version: d.header.version, identities: this.#target.identityCount(),
      upserts: d.upserts.length, removes: d.removes.length,
    });
  }

  async #drainDeltas(): Promise<void> {
    for (;;) {
      const applied = this.#target.version();
      for (const [prev, d] of this.#deltas) {
        if (d.header.version <= applied || prev < applied) {
          this.#deltas.delete(prev);
          this.#deltaBytes -= d.bytes;
        }
      }
      const next = this.#deltas.get(applied);
      if (!next) break;
      this.#deltas.delete(applied);
      this.#deltaBytes -= next.bytes;
      await this.#applyDelta(next);
    }
    if (this.#deltas.size === 0) this.#gapSince = 0;
  }

  #checkTimers(now: number): void {
    const p = this.#pending;
    if (p && !p.stallReported && now - p.lastProgress > this.limits.snapshotStallMs) {
      p.stallReported = true;
      this.#reject(this.topics.chunkFilter(p.header.version),
        new SyncRejection('incomplete', `snapshot ${p.header.version} stalled at ${p.received}/${p.header.chunks} chunks`), p.header.version);
      this.requestSnapshot('stalled', p.header.version);
      // Drop it and re-read the retained manifest: the broker's current snapshot may be another.
      void this.#chain.then(async () => {
        if (this.#pending !== p) return;
        await this.#abandonPending();
        await this.#hooks.unsubscribe(this.topics.manifest);
        await this.#hooks.subscribe(this.topics.manifest);
      });
    }
    if (this.#deltas.size > 0 && this.#gapSince > 0 && now - this.#gapSince > this.limits.gapWaitMs) {
      // A snapshot on its way may close the gap; otherwise ask the enrolment service for one.
      const wanted = Math.min(...this.#deltas.keys());
      if (!p || p.header.version < wanted) this.requestSnapshot('gap', wanted);
    }
  }
}
