/**
 * The terminal: a thin composition of sdk parts around the frame loop. Starts everything from one
 * validated config, and stops in order on SIGTERM: finish the frame, flush the decision queue,
 * publish offline, close the stores.
 */
import { dirname, join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { FaceGateError, errorMessage } from '../sdk/errors.ts';
import { silentLogger, type Logger } from '../sdk/logger.ts';
import { loadFrame } from '../sdk/image/index.ts';
import { createPipeline, type Pipeline } from '../sdk/pipeline/index.ts';
import { Gallery } from '../sdk/gallery/index.ts';
import { loadSiteKey } from '../sdk/security/site-key.ts';
import { decide } from '../sdk/match/decide.ts';
import { effectiveOperatingPoint, type EffectivePoint } from '../sdk/match/operating-point.ts';
import { impostorTail } from '../sdk/match/impostor-tails.ts';
import { DeviceLink, GalleryEnrollmentTarget, loadPublicKeys, redactUrl, startEmbeddedBroker, OPEN_DOOR_COMMAND, PRESENTATION_ATTACK, type BrokerOptions, type CameraState, type CommandHandler, type EmbeddedBroker } from '../sdk/mqtt/index.ts';
import type { DeviceConfig } from './config/schema.ts';
import { createSource } from './sources/create-source.ts';
import { loadEnrollmentKeys } from '../sdk/mqtt/enrollment-cipher.ts';
import { brokerUrlProblem, preflightConfig } from './config/preflight.ts';
import type { SourceState } from './sources/camera-source.ts';
import { createDoor } from './door/door-output.ts';
import { writeConfigMatch } from './config/write-config.ts';
import { DeviceMetrics } from './health/metrics.ts';
import { LiveFigures } from './health/live-figures.ts';
import { deviceInfo } from './setup/device-info.ts';
import { startHealthServer, type HealthSnapshot } from './health/http-server.ts';
import { FrameLoop, type DecisionRecord, type FrameStats, type MatchOutcome } from './loop/frame-loop.ts';
import { openLivenessGate } from './loop/liveness-setup.ts';
import { auditSink, auditedTarget, defaultAuditPath, openAudit } from './audit/device-audit.ts';
import { Serial } from './loop/serial.ts';
import { LogRing } from './console/log-ring.ts';
import { DecisionLog, loggedDecision } from './console/decision-log.ts';
import { LiveHub } from './console/live-hub.ts';
import { GuidedCapture } from './console/guided-capture.ts';
import { RecentFaces } from './console/recent-faces.ts';
import { Credentials, defaultCredentialsPath } from './console/credentials.ts';
import { startConsole, type ConsoleRoute } from './console/server.ts';

export interface RunningDevice {
  readonly pipeline: Pipeline;
  readonly gallery: Gallery;
  readonly link: DeviceLink;
  readonly loop: FrameLoop;
  readonly metrics: DeviceMetrics;
  readonly brokerUrl: string;
  readonly httpPort: number;
  /** The operator console's address when `console.enabled`. */
  readonly consoleUrl?: string;
  /** The console's routes and live-view frame count (tests, benchmarks). */
  readonly console?: { routes: readonly ConsoleRoute[]; liveFramesSent(): number; liveFramesPassedThrough(): number };
  /** Resolves when a finite source (files without loop) has played out. */
  readonly ended: Promise<void>;
  stop(): Promise<void>;
}

/** Status re-published this often: its live figures feed dashboards (HA diagnostics expire after 3 missed). */
const STATUS_INTERVAL_MS = 30_000;

/** Broker options from config; a non-loopback broker must use TLS unless `insecure: true`. */
export async function brokerOptions(mqtt: Pick<DeviceConfig['mqtt'], 'username' | 'password' | 'ca' | 'cert' | 'key' | 'insecure'> & { url: string; reconnectMaxMs?: number }): Promise<BrokerOptions> {
  const problem = brokerUrlProblem(mqtt.url, mqtt.insecure);
  if (problem) throw new FaceGateError('FG_CONFIG_INVALID', `mqtt.url: ${problem}`);
  const pem = async (p?: string) => (p ? readFile(p).catch((e: Error) => { throw new FaceGateError('FG_CONFIG_INVALID', `cannot read ${p}: ${e.message}`); }) : undefined);
  return { url: mqtt.url, username: mqtt.username, password: mqtt.password, ca: await pem(mqtt.ca), cert: await pem(mqtt.cert), key: await pem(mqtt.key), rejectUnauthorized: !mqtt.insecure, reconnectMaxMs: mqtt.reconnectMaxMs };
}

const cameraState = (s: SourceState): CameraState => (s === 'running' ? 'ok' : s === 'starting' ? 'starting' : s === 'lost' || s === 'stalled' ? 'lost' : 'none');

export interface PublishedDecision extends DecisionRecord {
  id: string;
}

export interface DeviceHooks {
  logger?: Logger;
  onDecision?: (d: PublishedDecision) => void;
  onFrameDone?: (latencyMs: number, faces: number, stats: FrameStats) => void;
  /** Overrides the loop's re-embedding period of decided tracks (benchmarks; default 5). */
  reembedEvery?: number;
  /** Overrides `pipeline.fullDetectEvery` (benchmarks). */
  fullDetectEvery?: number;
  /** The file `cfg` was loaded from: the console's "apply threshold" writes the threshold there. */
  configPath?: string;
}

/** The operating point as published in status (rounded for people). */
function matchStatus(p: EffectivePoint) {
  return { threshold: Math.round(p.threshold * 1e4) / 1e4, source: p.source, targetFpir: p.targetFpir, impliedFpir: p.impliedFpir === null ? null : Number(p.impliedFpir.toPrecision(3)), templates: p.templates };
}

export async function startDevice(cfg: DeviceConfig, opts: DeviceHooks = {}): Promise<RunningDevice> {
  // The console's Device page shows recent log lines; without a console nothing is kept.
  const logs = cfg.console.enabled ? new LogRing(opts.logger ?? silentLogger) : undefined;
  const logger = logs?.logger ?? opts.logger ?? silentLogger;
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const undo = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch(() => {});
  };
  try {
    // Before the models load: a missing, exposed or malformed key fails the start at once.
    const galleryKey = loadSiteKey({ keyFile: cfg.gallery.keyFile });
    // Every other check `run --check` makes, before anything is opened or created.
    await preflightConfig(cfg);
    const pipeline = await createPipeline({
      detector: cfg.pipeline.detector, embedder: cfg.pipeline.embedder, flip: cfg.pipeline.flip, minFaceSize: cfg.pipeline.minFaceSize, mtcnnFactor: cfg.pipeline.mtcnnFactor, mtcnnMergeOverlap: cfg.pipeline.mtcnnMerge,
      trackGuided: (opts.fullDetectEvery ?? cfg.pipeline.fullDetectEvery) > 1, providers: cfg.runtime.providers, packDir: cfg.runtime.packDir, precision: cfg.runtime.precision, threads: cfg.runtime.threads, logger,
    });
    cleanups.push(() => pipeline.release());
    const gallery = await Gallery.open(cfg.gallery.db, { modelId: pipeline.modelId, dim: pipeline.embedder.dim, create: true, logger, key: galleryKey, ...(cfg.gallery.hnsw ? { hnsw: cfg.gallery.hnsw } : {}) });
    cleanups.push(() => gallery.close());
    // The operating point follows the gallery: re-derived whenever its version changes.
    const tail = impostorTail(pipeline.modelId, cfg.pipeline.flip);
    // Mutable: the console's "apply threshold" swaps threshold and margin, then the point is re-derived.
    const policy = { fpir: cfg.match.fpir, threshold: cfg.match.threshold, margin: cfg.match.margin };
    let op: { version: number; point: EffectivePoint; policy: number | undefined } | undefined;
    const operatingPoint = (): EffectivePoint => {
      const version = gallery.version;
      if (op?.version === version && op.policy === policy.threshold) return op.point;
      const point = effectiveOperatingPoint(policy, tail, gallery.stats().templates, pipeline.modelId);
      if (point.warning && point.warning !== op?.point.warning) logger.warn('match threshold above target', { warning: point.warning });
      op = { version, point, policy: policy.threshold };
      return point;
    };
    operatingPoint(); // a model without a tail and no match.threshold fails the start here

    let embedded: EmbeddedBroker | undefined;
    let broker: BrokerOptions;
    if (cfg.mqtt.url) broker = await brokerOptions({ ...cfg.mqtt, url: cfg.mqtt.url });
    else {
      embedded = await startEmbeddedBroker({ port: cfg.mqtt.embeddedPort });
      cleanups.push(() => embedded?.close());
      broker = { url: embedded.url };
      logger.info('no mqtt.url configured: embedded broker started', { url: embedded.url });
    }

    const metrics = new DeviceMetrics();
    // Audit: opened before the link so the first synced change is recorded; appends never block.
    const audit = cfg.audit.enabled ? await openAudit({ path: cfg.audit.path ?? defaultAuditPath(cfg.gallery.db), keyFile: cfg.audit.keyFile, galleryDir: cfg.gallery.db, rotateMb: cfg.audit.rotateMb }) : undefined;
    if (audit) cleanups.push(() => audit.close());
    const record = audit ? auditSink(audit, logger, () => metrics.errors.inc({ area: 'audit' })) : undefined;
    const source = createSource(cfg.camera, (i) => loadFrame(i));
    const publicKeys = cfg.mqtt.enrollmentPublicKey ? await loadPublicKeys(cfg.mqtt.enrollmentPublicKey) : undefined;
    const door = createDoor(cfg.door);
    cleanups.push(() => door.close());
    const live = new LiveFigures();
    const remoteOpen = cfg.door.type !== 'none' && cfg.door.remoteOpen;
    const commands: Record<string, CommandHandler> = {};
    if (remoteOpen) {
      // Audited before and after: who asked (the transaction id) and whether the door pulsed.
      commands[OPEN_DOOR_COMMAND] = async (_args, { txn }) => {
        logger.warn('door opened by remote command', { txn });
        record?.('door-remote-open', { txn, source: 'mqtt' });
        try {
          await door.pulse({ identity: '', decisionId: `remote:${txn}` });
        } catch (e) {
          record?.('door-remote-open-failed', { txn, error: errorMessage(e) });
          throw e;
        }
        link.publishEvent('door-opened', { txn, source: 'command' });
        return { opened: true };
      };
    }
    const info = cfg.mqtt.homeAssistant ? await deviceInfo({ detector: cfg.pipeline.detector, embedder: cfg.pipeline.embedder, packDir: cfg.runtime.packDir }) : undefined;
    const fleetKeys = cfg.mqtt.enrollmentKeys ? loadEnrollmentKeys(cfg.mqtt.enrollmentKeys) : undefined;
    const link = await DeviceLink.start({
      broker, site: cfg.site, device: cfg.device, logger,
      // Beside the gallery directory, never inside it: queued decisions name identities in plain.
      decisions: { queuePath: cfg.mqtt.queueDb ?? join(dirname(resolve(cfg.gallery.db)), 'decision-queue.sqlite'),
        history: { maxRows: cfg.mqtt.decisionHistory.maxRows, maxAgeMs: cfg.mqtt.decisionHistory.maxAgeDays * 86_400_000 } },
      statusInfo: () => ({
        galleryVersion: gallery.version, identities: gallery.stats().identities, modelId: pipeline.modelId, camera: cameraState(source.state), queued: link.queued,
        fps: live.fps(Date.now()), latencyP50Ms: live.latencyP50(), presentationAttacks: live.attacks, match: matchStatus(operatingPoint()),
      }),
      statusIntervalMs: STATUS_INTERVAL_MS,
      homeAssistant: info ? { deviceName: `FaceGate ${cfg.site}/${cfg.device}`, modelId: info.modelId, swVersion: info.swVersion, diagnostics: true, doorButton: remoteOpen } : false,
      commands,
      enrollment: publicKeys ? { target: audit && record ? auditedTarget(GalleryEnrollmentTarget.wrap(gallery), audit, record) : GalleryEnrollmentTarget.wrap(gallery), publicKeys, fleetKeys } : undefined,
      // A terminal must work with the broker down: decisions wait in the durable queue.
      waitConnectedMs: false,
    });
    cleanups.push(() => link.close({ announceOffline: true }));
    link.on('connect', () => metrics.brokerConnected.set(1));
    link.on('offline', () => metrics.brokerConnected.set(0));
    // The link logs each broker failure once per state change; count them here.
    link.on('error', () => metrics.errors.inc({ area: 'mqtt' }));
    // Refused enrolment messages are security events too (bad signature, replay, oversized...).
    if (record) link.on('event', (ev) => {
      if (ev.type === 'enrollment-rejected') record('sync-rejected', { event: ev.type, reason: ev.reason, topic: ev.topic, version: ev.version });
      else if (ev.type === 'message-rejected') record('sync-rejected', { event: ev.type, reason: ev.reason, topic: ev.topic, version: undefined });
    });

    const liveness = await openLivenessGate(cfg.liveness, cfg.runtime, logger);
    if (liveness) cleanups.push(() => liveness.scorer.release());
    metrics.livenessEnabled.set(liveness ? 1 : 0);

    const match = (embedding: Float32Array): MatchOutcome => {
      const { threshold } = operatingPoint();
      const d = decide(gallery.search(embedding, 10, { threshold }), { threshold, margin: policy.margin, now: Date.now() });
      return { decision: d.decision, identity: d.identity ?? undefined, d1: d.d1 ?? Infinity, d2: d.d2 ?? undefined, reason: d.decision === 'deny' ? d.reason : undefined };
    };
    const serial = new Serial();
    const nameOf = (id: string) => gallery.get(id)?.name ?? null;
    // The console's log reads the decision history the link keeps for MQTT replay (it survives restarts).
    const history = link.decisionHistory;
    const decisionLog = cfg.console.enabled && history ? new DecisionLog(history, nameOf) : undefined;
    const hub = cfg.console.enabled ? new LiveHub({ fps: cfg.console.liveFps, nameOf, logger }) : undefined;
    const loopOptions = { modelId: pipeline.modelId, threshold: () => operatingPoint().threshold, ...cfg.decision, liveness: liveness?.options, reembedEvery: opts.reembedEvery, fullDetectEvery: opts.fullDetectEvery ?? cfg.pipeline.fullDetectEvery };
    const detectAround = pipeline.detectAround;
    const tracking = pipeline.tracking;
    const loop = new FrameLoop({
      source, metrics, logger, door, match, liveness: liveness?.scorer, tap: hub,
      // Serialised with the console's uploads: one ORT session runs one request at a time.
      detect: (frame) => serial.run(async () => (await pipeline.detect({ ...frame, format: 'rgb' })).faces),
      // Track-guided detection: between full passes, O-Net re-finds the live tracks' faces.
      detectAround: detectAround ? (frame, boxes) => serial.run(() => detectAround(frame, boxes)) : undefined,
      embed: (frame, faces) => serial.run(() => pipeline.embedFaces(frame, faces)),
      // A fused embedder follows decided faces with its first part only (a quarter of the cost).
      tracking: tracking ? { dim: tracking.dim, of: tracking.of, embed: (frame, faces) => serial.run(() => tracking.embed(frame, faces)) } : undefined,
      publish: (d) => {
        const distance = Number.isFinite(d.distance) ? d.distance : null;
        const msg = link.publishDecision({ decision: d.decision, identity: d.identity, distance, threshold: d.threshold, model: d.model, reason: d.reason, liveness: d.liveness, camera: cfg.camera.type }, { latencyMs: d.latencyMs });
        const { id } = msg;
        opts.onDecision?.({ ...d, id });
        if (d.reason === PRESENTATION_ATTACK) {
          live.attack();
          link.publishEvent('presentation_attack', { decision_id: id, track: d.track, liveness: d.liveness ?? null });
        }
        hub?.send('decision', loggedDecision(msg, d.latencyMs, d.identity ? nameOf(d.identity) : null));
        record?.('decision', {
          id, decision: d.decision, identity: d.identity === null ? null : audit!.identity(d.identity),
          distance, threshold: d.threshold, model: d.model, reason: d.reason, liveness: d.liveness, track: d.track, frames: d.frames,
        });
        return id;
      },
      event: (kind, detail) => link.publishEvent(kind, detail),
      onFrameDone: (latencyMs, faces, stats) => {
        live.frame(Date.now(), latencyMs);
        opts.onFrameDone?.(latencyMs, faces, stats);
      },
    }, loopOptions);

    const ended = new Promise<void>((resolve) => source.on('state', (s) => {
      link.setCamera(cameraState(s));
      if (s === 'ended') resolve();
    }));
    const healthSnapshot = (): HealthSnapshot => {
      const age = loop.lastFrameAt === null ? null : Date.now() - loop.lastFrameAt;
      const stats = gallery.stats();
      const { kind, m, efConstruction, ef, efFirst } = stats.index;
      return { ok: source.state === 'running' || source.state === 'ended', camera: source.state, broker: link.connected ? 'connected' : 'disconnected', lastFrameAgeMs: age, galleryVersion: gallery.version, identities: stats.identities, queued: link.queued, match: matchStatus(operatingPoint()), index: { kind, m, efConstruction, ef, efFirst } };
    };
    const health = await startHealthServer({ host: cfg.http.host, port: cfg.http.port, metrics, health: healthSnapshot });
    cleanups.push(() => health.close());

    let consoleUrl: string | undefined;
    let consoleInfo: RunningDevice['console'];
    if (logs && decisionLog && hub) {
      const credentials = await Credentials.open(cfg.console.credentials ?? defaultCredentialsPath(cfg.gallery.db));
      const audited = (kind: string, fields: Parameters<NonNullable<typeof record>>[1]) => record?.(kind, fields);
      const capture = new GuidedCapture({
        embed: async (frame, face) => (await serial.run(() => pipeline.embedFaces(frame, [face])))[0],
        liveness: liveness ? { score: (frame, face) => serial.run(() => liveness.scorer.score(frame, face)), threshold: liveness.options.threshold } : undefined,
        enrol: async (id, name, embeddings) => {
          const r = gallery.enroll(id, embeddings, { source: 'console-capture', ...(name ? { name } : {}) });
          audited('console-capture-enrol', { identity: audit ? audit.identity(id) : id, templates: r.templateIds.length, created: r.created });
          return { templates: r.templateIds.length };
        },
        minInterEyePx: cfg.decision.minInterEyePx, minBlur: cfg.decision.minBlur,
        onChange: (state) => hub.send('capture', state),
      });
      hub.addListener(capture);
      let applying: Promise<unknown> = Promise.resolve();
      const recent = new RecentFaces(cfg.console.recentFaces, { threshold: () => operatingPoint().threshold, logger });
      hub.addListener(recent);
      const con = await startConsole({
        cfg, gallery, metrics, logs, decisions: decisionLog, hub, capture, recent, credentials, match,
        pipeline: {
          modelId: pipeline.modelId,
          detect: (image) => serial.run(() => pipeline.detect(image)),
          analyze: (image, o) => serial.run(() => pipeline.analyze(image, o)),
          embedFaces: (frame, faces) => serial.run(() => pipeline.embedFaces(frame, faces)),
        },
        threshold: () => ({ threshold: operatingPoint().threshold, margin: policy.margin }),
        applyThreshold: (threshold, margin, note) => {
          // One at a time: two applies never interleave their file writes.
          const next = applying.then(async () => {
            let saved = { config: null as string | null, backup: null as string | null };
            if (opts.configPath) {
              const r = await writeConfigMatch(opts.configPath, { threshold, margin, note, pipeline: cfg.pipeline });
              saved = { config: opts.configPath, backup: r.backup };
            }
            policy.threshold = threshold;
            policy.margin = margin ?? policy.margin;
            return saved;
          });
          applying = next.catch(() => {});
          return next;
        },
        health: healthSnapshot,
        liveFigures: () => ({ fps: live.fps(Date.now()), latencyP50Ms: live.latencyP50() ?? null, latencyP99Ms: live.latencyP99() ?? null }),
        sync: () => ({ broker: link.connected ? 'connected' : 'disconnected', queued: link.queued, galleryVersion: gallery.version, enrollmentSync: !!publicKeys }),
        models: () => ({ modelId: pipeline.modelId, detector: cfg.pipeline.detector, embedder: cfg.pipeline.embedder, precision: cfg.runtime.precision, providers: cfg.runtime.providers, liveness: liveness ? cfg.liveness.model : null }),
        audit: audited,
        auditIdentity: (id) => (audit ? audit.identity(id) : id),
      });
      cleanups.push(() => con.close());
      consoleUrl = con.url;
      consoleInfo = { routes: con.routes, liveFramesSent: () => hub.framesSent, liveFramesPassedThrough: () => hub.framesPassedThrough };
      logger.info('console listening', { url: con.url, admin: credentials.hasAdmin ? 'set' : 'not set (facegate console passwd)' });
    }
    const updateGauges = () => {
      metrics.queueDepth.set(link.queued);
      metrics.gallerySize.set(gallery.stats().identities);
      metrics.galleryVersion.set(gallery.version);
      const p = operatingPoint();
      metrics.matchThreshold.set(p.threshold);
      metrics.matchImpliedFpir.set(p.impliedFpir ?? -1);
      metrics.matchTargetFpir.set(p.targetFpir);
    };
    updateGauges();
    const gauges = setInterval(updateGauges, 1000);
    gauges.unref();
    cleanups.push(() => clearInterval(gauges));

    loop.start();
    record?.('device-start', { site: cfg.site, device: cfg.device, model: pipeline.modelId, galleryVersion: gallery.version, identities: gallery.stats().identities });
    logger.info('device running', { site: cfg.site, device: cfg.device, model: pipeline.modelId, broker: redactUrl(broker.url), http: `${cfg.http.host}:${health.port}` });
    let stopping: Promise<void> | undefined;
    return {
      pipeline, gallery, link, loop, metrics, brokerUrl: broker.url, httpPort: health.port, consoleUrl, console: consoleInfo, ended,
      stop: () => (stopping ??= (async () => {
        await loop.stop();
        record?.('device-stop', {});
        const flushed = await link.flush(5000);
        if (!flushed) logger.warn('decisions left in the durable queue; they are sent at the next start', { queued: link.queued });
        await undo();
      })()),
    };
  } catch (e) {
    await undo();
    throw e;
  }
}
