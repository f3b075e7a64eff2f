/**
 * The device configuration: one schema gives the TypeScript type, the defaults and the
 * validation messages (`path: problem`). Keys named in the issues are part of the contract.
 */
import { z } from 'zod';
import { DEFAULT_DETECTOR, DEFAULT_DEVICE_EMBEDDER, DETECTOR_KINDS, EMBEDDER_IDS } from '../../sdk/registry.ts';

const providers = z.array(z.enum(['tensorrt', 'cuda', 'webgpu', 'coreml', 'dml', 'cpu'])).min(1);
const name = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, "_" and "-" (it is used in MQTT topics)');

const camera = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('webcam'),
    device: z.string().regex(/^\/dev\/video\d+$/, 'expected a V4L2 device path like /dev/video0').default('/dev/video0'),
    width: z.number().int().min(64).max(4096).default(640),
    height: z.number().int().min(64).max(4096).default(480),
    fps: z.number().positive().max(60).default(10),
  }).strict(),
  z.object({
    type: z.literal('stream'),
    url: z.string().min(1),
    width: z.number().int().min(64).max(4096).default(640),
    height: z.number().int().min(64).max(4096).default(480),
    fps: z.number().positive().max(60).default(15),
    /** Seconds without a frame before the source is declared stalled and restarted. */
    stallTimeoutSec: z.number().positive().default(5),
  }).strict(),
  z.object({
    type: z.literal('files'),
    path: z.string().min(1),
    fps: z.number().positive().max(60).default(5),
    loop: z.boolean().default(false),
    /** Show each image this many times in a row (a person standing in view for several frames). */
    repeat: z.number().int().min(1).max(100).default(1),
  }).strict(),
]);

export const configSchema = z.object({
  site: name,
  device: name,
  camera,
  mqtt: z.object({
    /** Absent: the device starts an embedded broker on loopback. */
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'expected mqtt://, mqtts://, ws:// or wss://').optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    ca: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    insecure: z.boolean().default(false),
    embeddedPort: z.number().int().min(0).max(65535).default(1883),
    /** Longest wait between reconnect attempts, ms (exponential backoff with jitter from 1 s; default 60 000). */
    reconnectMaxMs: z.number().int().min(1000).max(3_600_000).optional(),
    /** Durable decision queue (SQLite); default: decision-queue.sqlite in the gallery directory's parent (it names identities). */
    queueDb: z.string().optional(),
    /** Site enrolment public key(s) (PEM): when set, the device follows signed enrolment sync. */
    enrollmentPublicKey: z.string().optional(),
    /** Fleet enrolment key file(s) (docs/mqtt.md): given, only enrolment encrypted to the fleet is taken. */
    enrollmentKeys: z.array(z.string().min(1)).max(8).optional(),
    /**
     * Every decision carries a per-device `seq`; the device keeps the last ones to answer
     * `replay since N` on its command topic (docs/mqtt.md, "Gaps and replay").
     */
    decisionHistory: z.object({
      maxRows: z.number().int().min(100).max(10_000_000).default(100_000),
      maxAgeDays: z.number().positive().max(3650).default(7),
    }).strict().default({ maxRows: 100_000, maxAgeDays: 7 }),
    homeAssistant: z.boolean().default(true),
  }).strict().default({ insecure: false, embeddedPort: 1883, homeAssistant: true, decisionHistory: { maxRows: 100_000, maxAgeDays: 7 } }),
  /**
   * `keyFile`: site key of an encrypted gallery (32 bytes, raw or base64, mode 0600; see
   * SECURITY.md, gallery encryption). Absent: FACEGATE_GALLERY_KEY if set, else a plain gallery.
   */
  gallery: z.object({
    db: z.string().min(1),
    keyFile: z.string().min(1).optional(),
    /**
     * HNSW settings, each field on its own over the automatic choice by gallery size
     * (sdk/gallery/hnsw-by-size.ts): graph degree, build beam, search beams. Absent: automatic.
     */
    hnsw: z.object({
      m: z.number().int().min(4).max(128).optional(),
      efConstruction: z.number().int().min(16).max(2000).optional(),
      ef: z.number().int().min(8).max(4096).optional(),
      efFirst: z.number().int().min(8).max(4096).optional(),
    }).strict().refine((h) => h.efFirst === undefined || h.ef === undefined || h.efFirst <= h.ef, { message: 'efFirst must not exceed ef' }).optional(),
  }).strict(),
  /**
   * The operating point as a risk (docs/operating-point.md): `fpir` = strangers granted per
   * decision; the threshold is derived from the model's impostor tail and the gallery's current
   * size, and re-derived as it changes. A raw `threshold` overrides it (warned about when it lets
   * in more strangers than `fpir` for the current gallery).
   */
  match: z.object({
    fpir: z.number().gt(0).lt(0.5).default(0.001),
    threshold: z.number().positive().max(2).optional(),
    margin: z.number().min(0).max(2).default(0.05),
    /** Accept a threshold that grants over 1% of impostor pairs (preflight.ts); lab use only. */
    allowLooseThreshold: z.boolean().default(false),
  }).strict().default({ fpir: 0.001, margin: 0.05, allowLooseThreshold: false }),
  pipeline: z.object({
    detector: z.enum(DETECTOR_KINDS).default(DEFAULT_DETECTOR),
    embedder: z.enum(EMBEDDER_IDS).default(DEFAULT_DEVICE_EMBEDDER),
    flip: z.boolean().default(false),
    minFaceSize: z.number().int().min(12).max(1000).default(60),
    /**
     * Search the whole frame at least every this many frames, in between only around the live
     * tracks with MTCNN's O-Net (RFB loads it for that); 1 = the whole frame every frame.
     */
    fullDetectEvery: z.number().int().min(1).max(100).default(5),
    /**
     * MTCNN pyramid step. The door default 0.6 (the SDK's 0.709 elsewhere) gives fewer, smaller
     * P-Net levels: -27% CPU per full pass at 1280x720, the same door recall (BENCHMARKS.md, issue 20).
     */
    mtcnnFactor: z.number().min(0.5).max(0.8).default(0.6),
    /**
     * MTCNN: IoU above which windows of one face merge across pyramid scales and after R-Net. The
     * door default 0.4 (the SDK's 0.7 elsewhere) sends 2 windows per face to O-Net instead of 6:
     * -2.3 CPU ms per full pass, the same door recall (BENCHMARKS.md, issue 20).
     */
    mtcnnMerge: z.number().min(0.3).max(0.9).default(0.4),
  }).strict().default({ detector: DEFAULT_DETECTOR, embedder: DEFAULT_DEVICE_EMBEDDER, flip: false, minFaceSize: 60, fullDetectEvery: 5, mtcnnFactor: 0.6, mtcnnMerge: 0.4 }),
  runtime: z.object({
    providers: providers.default(['cpu']),
    packDir: z.string().optional(),
    /** Model build: auto = int8 on CPU, fp16 with a GPU provider (falls back to int8 if none loads). */
    precision: z.enum(['auto', 'fp32', 'int8', 'fp16']).default('auto'),
    /** ORT intra-op threads per model session (BENCHMARKS.md, Device: 1 vs 2 on a 2-core terminal). */
    threads: z.number().int().min(1).max(64).default(1),
  }).strict().default({ providers: ['cpu'], precision: 'auto', threads: 1 }),
  decision: z.object({
    /** A decision needs `votes` agreeing frames among the track's last `window`. */
    votes: z.number().int().min(1).default(3),
    window: z.number().int().min(1).default(5),
    /** 'mean-embedding': one match of the weighted mean of `votes` usable frames (measured better on both error rates); 'vote': `votes` agreeing frames. */
    rule: z.enum(['mean-embedding', 'vote']).default('mean-embedding'),
    minInterEyePx: z.number().min(0).default(30),
    minBlur: z.number().min(0).default(20),
    cooldownSec: z.number().min(0).default(10),
  }).strict().refine((d) => d.votes <= d.window, { message: 'votes must not exceed window', path: ['votes'] })
    .default({ votes: 3, window: 5, rule: 'mean-embedding', minInterEyePx: 30, minBlur: 20, cooldownSec: 10 }),
  /**
   * Presentation-attack gate (docs/liveness.md): a track is granted only once its frames look live.
   * `enabled` absent: on when the pack holds the model (a warning at start when it does not).
   * `threshold` absent: the model's measured default (DEFAULT_LIVENESS_THRESHOLDS). A track is live
   * once a majority of its last `window` scored frames reach it ('k-of-n'), or their mean ('mean');
   * never on fewer than `minFrames` (at least 2: never on one frame alone).
   */
  liveness: z.object({
    enabled: z.boolean().optional(),
    model: z.enum(['fr-liveness', 'antispoof-256', 'fused']).default('fr-liveness'),
    threshold: z.number().min(0).max(1).optional(),
    minFrames: z.number().int().min(2).max(50).default(3),
    window: z.number().int().min(2).max(50).default(5),
    mode: z.enum(['k-of-n', 'mean']).default('k-of-n'),
  }).strict().refine((l) => l.window >= l.minFrames, { message: 'window must be at least minFrames', path: ['window'] })
    .default({ model: 'fr-liveness', minFrames: 3, window: 5, mode: 'k-of-n' }),
  door: z.discriminatedUnion('type', [
    z.object({ type: z.literal('none') }).strict(),
    // Kernel sysfs GPIO (global line number); for libgpiod use type command with `gpioset`.
    // `remoteOpen`: the `open-door` MQTT command (Home Assistant's door button) pulses the door;
    // off by default: whoever may publish to the device's cmd topic can then open it (SECURITY.md).
    z.object({ type: z.literal('gpio'), line: z.number().int().min(0), sysfsRoot: z.string().default('/sys/class/gpio'), activeLow: z.boolean().default(false), pulseMs: z.number().int().min(50).max(30000).default(1000), remoteOpen: z.boolean().default(false) }).strict(),
    z.object({ type: z.literal('command'), command: z.string().min(1), args: z.array(z.string()).default([]), pulseMs: z.number().int().min(50).max(30000).default(1000), remoteOpen: z.boolean().default(false) }).strict(),
  ]).default({ type: 'none' }),
  /**
   * Hash-chained audit log of decisions and gallery changes (SECURITY.md). `path` absent:
   * audit.log beside the gallery directory (never inside it). `keyFile`: 32-byte HMAC key; entries
   * are then keyed and identity ids pseudonymised. `rotateMb`: move the log aside as
   * `<path>.000001`, `.000002`... at this size; the chain continues across the files.
   */
  audit: z.object({
    enabled: z.boolean().default(true),
    path: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    rotateMb: z.number().positive().max(100_000).optional(),
  }).strict().default({ enabled: true }),
  http: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9464) }).strict()
    .default({ host: '127.0.0.1', port: 9464 }),
  /**
   * Operator console and REST API (docs/console.md). Loopback only unless `tls` is given; a
   * non-loopback bind also needs an admin password (`facegate console passwd`), checked at start.
   * `credentials`: admin password hash and API token hashes; default console-credentials.json
   * beside the gallery directory.
   */
  console: z.object({
    /** Off unless asked for: an upgrade never opens a new port on its own. */
    enabled: z.boolean().default(false),
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(9465),
    tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
    credentials: z.string().min(1).optional(),
    /** Live view frame rate cap (frames are encoded only while a client watches). */
    liveFps: z.number().positive().max(10).default(5),
    maxUploadBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(10 * 1024 * 1024),
    maxUploadPixels: z.number().int().min(10_000).max(50_000_000).default(25_000_000),
    /** Calibration report folder (index.html) the console shows; e.g. `facegate calibrate --report` output. */
    calibrationReport: z.string().min(1).optional(),
    /** Crops of recent unknown / near-threshold faces, in memory only; an admin can also turn it on in the console. */
    recentFaces: z.object({ enabled: z.boolean().default(false), keepMinutes: z.number().int().min(1).max(1440).default(60), max: z.number().int().min(1).max(1000).default(100) }).strict()
      .default({ enabled: false, keepMinutes: 60, max: 100 }),
  }).strict().refine((c) => c.tls !== undefined || isLoopbackHost(c.host), { message: 'binding the console to a non-loopback address requires tls.cert and tls.key', path: ['host'] })
    .default({ enabled: false, host: '127.0.0.1', port: 9465, liveFps: 5, maxUploadBytes: 10 * 1024 * 1024, maxUploadPixels: 25_000_000, recentFaces: { enabled: false, keepMinutes: 60, max: 100 } }),
}).strict();

/** 127.0.0.0/8, ::1 and localhost: the addresses the console may bind without TLS. */
export function isLoopbackHost(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/.test(host);
}

export type DeviceConfig = z.infer<typeof configSchema>;
export type CameraConfig = DeviceConfig['camera'];
