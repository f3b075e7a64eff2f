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
import { DeviceLink, GalleryEnrollmentTarget, loadPublicKeys, redactUrl, startEmbeddedBroker, type BrokerOptions, type CameraState, type EmbeddedBroker } from '../sdk/mqtt/index.ts';
import type { DeviceConfig } from './config/schema.ts';
import { createSource } from './sources/create-source.ts';
import { loadEnrollmentKeys } from '../sdk/mqtt/enrollment-cipher.ts';
import { brokerUrlProblem, preflightConfig } from './config/preflight.ts';
import type { SourceState } from './sources/camera-source.ts';
import { createDoor } from './door/door-output.ts';
import { DeviceMetrics } from './health/metrics.ts';
import { startHealthServer } from './health/http-server.ts';
import { FrameLoop, type DecisionRecord, type FrameStats, type MatchOutcome } from './loop/frame-loop.ts';
import { openLivenessGate } from './loop/liveness-setup.ts';
import { auditSink, auditedTarget, defaultAuditPath, openAudit } from './audit/device-audit.ts';

export interface RunningDevice {
  readonly pipeline: Pipeline;
  readonly gallery: Gallery;
  readonly link: DeviceLink;
  readonly loop: FrameLoop;
  readonly metrics: DeviceMetrics;
  readonly brokerUrl: string;
  readonly httpPort: number;
  /** Resolves when a finite source (files without loop) has played out. */
  readonly ended: Promise<void>;
  stop(): Promise<void>;
}

/** Broker options from config; a non-loopback broker must use TLS unless `insecure: true`. */
export async function brokerOptions(mqtt: Pick<DeviceConfig['mqtt'], 'username' | 'password' | 'ca' | 'cert' | 'key' | 'insecure'> & { url: string }): Promise<BrokerOptions> {
  const problem = brokerUrlProblem(mqtt.url, mqtt.insecure);
  if (problem) throw new FaceGateError('FG_CONFIG_INVALID', `mqtt.url: ${problem}`);
  const pem = async (p?: string) => (p ? readFile(p).catch((e: Error) => { throw new FaceGateError('FG_CONFIG_INVALID', `cannot read ${p}: ${e.message}`); }) : undefined);
  return { url: mqtt.url, username: mqtt.username, password: mqtt.password, ca: await pem(mqtt.ca), cert: await pem(mqtt.cert), key: await pem(mqtt.key), rejectUnauthorized: !mqtt.insecure };
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
}

export async function startDevice(cfg: DeviceConfig, opts: DeviceHooks = {}): Promise<RunningDevice> {
  const logger = opts.logger ?? silentLogger;
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
      detector: cfg.pipeline.detector, embedder: cfg.pipeline.embedder, flip: cfg.pipeline.flip, minFaceSize: cfg.pipeline.minFaceSize,
      providers: cfg.runtime.providers, packDir: cfg.runtime.packDir, precision: cfg.runtime.precision, threads: cfg.runtime.threads, logger,
    });
    cleanups.push(() => pipeline.release());
    const gallery = await Gallery.open(cfg.gallery.db, { modelId: pipeline.modelId, dim: pipeline.embedder.dim, create: true, logger, key: galleryKey });
    cleanups.push(() => gallery.close());

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
    const audit = cfg.audit.enabled ? await openAudit({ path: cfg.audit.path ?? defaultAuditPath(cfg.gallery.db), keyFile: cfg.audit.keyFile, galleryDir: cfg.gallery.db }) : undefined;
    if (audit) cleanups.push(() => audit.close());
    const record = audit ? auditSink(audit, logger, () => metrics.errors.inc({ area: 'audit' })) : undefined;
    const source = createSource(cfg.camera, (i) => loadFrame(i));
    const publicKeys = cfg.mqtt.enrollmentPublicKey ? await loadPublicKeys(cfg.mqtt.enrollmentPublicKey) : undefined;
    const fleetKeys = cfg.mqtt.enrollmentKeys ? loadEnrollmentKeys(cfg.mqtt.enrollmentKeys) : undefined;
    const link = await DeviceLink.start({
      broker, site: cfg.site, device: cfg.device, logger,
      // Beside the gallery directory, never inside it: queued decisions name identities in plain.
      decisions: { queuePath: cfg.mqtt.queueDb ?? join(dirname(resolve(cfg.gallery.db)), 'decision-queue.sqlite'),
        history: { maxRows: cfg.mqtt.decisionHistory.maxRows, maxAgeMs: cfg.mqtt.decisionHistory.maxAgeDays * 86_400_000 } },
      statusInfo: () => ({ galleryVersion: gallery.version, identities: gallery.stats().identities, modelId: pipeline.modelId, camera: cameraState(source.state), queued: link.queued }),
      homeAssistant: cfg.mqtt.homeAssistant ? { deviceName: `FaceGate ${cfg.site}/${cfg.device}`, model: pipeline.modelId } : false,
      enrollment: publicKeys ? { target: audit && record ? auditedTarget(GalleryEnrollmentTarget.wrap(gallery), audit, record) : GalleryEnrollmentTarget.wrap(gallery), publicKeys, fleetKeys } : undefined,
      // A terminal must work with the broker down: decisions wait in the durable queue.
      waitConnectedMs: false,
    });
    cleanups.push(() => link.close({ announceOffline: true }));
    link.on('connect', () => metrics.brokerConnected.set(1));
    link.on('offline', () => metrics.brokerConnected.set(0));
    link.on('error', (e) => logger.warn('mqtt', { error: errorMessage(e) }));
    // Refused enrolment messages are security events too (bad signature, replay, oversized...).
    if (record) link.on('event', (ev) => {
      if (ev.type === 'enrollment-rejected' || ev.type === 'message-rejected') record('sync-rejected', { event: ev.type, reason: String(ev.reason ?? ''), topic: String(ev.topic ?? ''), version: typeof ev.version === 'number' ? ev.version : undefined });
    });

    const door = createDoor(cfg.door);
    cleanups.push(() => door.close());
    const liveness = await openLivenessGate(cfg.liveness, cfg.runtime, logger);
    if (liveness) cleanups.push(() => liveness.scorer.release());
    metrics.livenessEnabled.set(liveness ? 1 : 0);

    const match = (embedding: Float32Array): MatchOutcome => {
      const d = decide(gallery.search(embedding, 10, { threshold: cfg.match.threshold }), { threshold: cfg.match.threshold, margin: cfg.match.margin, now: Date.now() });
      return { decision: d.decision, identity: d.identity ?? undefined, d1: d.d1 ?? Infinity, d2: d.d2 ?? undefined, reason: d.decision === 'deny' ? d.reason : undefined };
    };
    const loop = new FrameLoop({
      source, metrics, logger, door, match, liveness: liveness?.scorer,
      detect: async (frame) => (await pipeline.detect({ ...frame, format: 'rgb' })).faces,
      embed: (frame, faces) => pipeline.embedFaces(frame, faces),
      publish: (d) => {
        const { id } = link.publishDecision({ decision: d.decision, identity: d.identity, distance: Number.isFinite(d.distance) ? d.distance : null, threshold: d.threshold, model: d.model, reason: d.reason, liveness: d.liveness, camera: cfg.camera.type });
        opts.onDecision?.({ ...d, id });
        record?.('decision', {
          id, decision: d.decision, identity: d.identity === null ? null : audit!.identity(d.identity),
          distance: Number.isFinite(d.distance) ? d.distance : null, threshold: d.threshold, model: d.model, reason: d.reason, liveness: d.liveness, track: d.track, frames: d.frames,
        });
        return id;
      },
      event: (kind, detail) => link.publishEvent(kind, detail),
      onFrameDone: opts.onFrameDone,
    }, { modelId: pipeline.modelId, threshold: cfg.match.threshold, ...cfg.decision, liveness: liveness?.options, reembedEvery: opts.reembedEvery });

    const ended = new Promise<void>((resolve) => source.on('state', (s) => {
      link.setCamera(cameraState(s));
      if (s === 'ended') resolve();
    }));
    const health = await startHealthServer({
      host: cfg.http.host, port: cfg.http.port, metrics,
      health: () => {
        const age = loop.lastFrameAt === null ? null : Date.now() - loop.lastFrameAt;
        return { ok: source.state === 'running' || source.state === 'ended', camera: source.state, broker: link.connected ? 'connected' : 'disconnected', lastFrameAgeMs: age, galleryVersion: gallery.version, identities: gallery.stats().identities, queued: link.queued };
      },
    });
    cleanups.push(() => health.close());
    const gauges = setInterval(() => {
      metrics.queueDepth.set(link.queued);
      metrics.gallerySize.set(gallery.stats().identities);
      metrics.galleryVersion.set(gallery.version);
    }, 1000);
    gauges.unref();
    cleanups.push(() => clearInterval(gauges));

    loop.start();
    record?.('device-start', { site: cfg.site, device: cfg.device, model: pipeline.modelId, galleryVersion: gallery.version, identities: gallery.stats().identities });
    logger.info('device running', { site: cfg.site, device: cfg.device, model: pipeline.modelId, broker: redactUrl(broker.url), http: `${cfg.http.host}:${health.port}` });
    let stopping: Promise<void> | undefined;
    return {
      pipeline, gallery, link, loop, metrics, brokerUrl: broker.url, httpPort: health.port, ended,
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
