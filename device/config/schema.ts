/**
 * The device configuration: one schema gives the TypeScript type, the defaults and the
 * validation messages (`path: problem`). Keys named in the issues are part of the contract.
 */
import { z } from 'zod';
import { DEFAULT_THRESHOLDS } from '../../sdk/match/default-thresholds.ts';

const providers = z.array(z.enum(['tensorrt', 'cuda', 'webgpu', 'coreml', 'dml', 'cpu'])).min(1);
const MISSING_MATCH = 'missing: measure a threshold for this camera with `facegate calibrate --labeled-dir <faces> --target-far 0.001 --write-config <this file>`, '
  + `or start from the model's default: match: { threshold: ${Object.entries(DEFAULT_THRESHOLDS).map(([m, t]) => `${t} } for ${m}`).join(', { threshold: ')}`;
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
  gallery: z.object({ db: z.string().min(1), keyFile: z.string().min(1).optional() }).strict(),
  match: z.object({
    threshold: z.number().positive().max(2),
    margin: z.number().min(0).max(2).default(0.05),
    /** Accept a threshold that grants over 1% of impostor pairs (preflight.ts); lab use only. */
    allowLooseThreshold: z.boolean().default(false),
  }, { error: (iss) => (iss.input === undefined ? MISSING_MATCH : undefined) }).strict(),
  pipeline: z.object({
    detector: z.enum(['mtcnn', 'rfb']).default('mtcnn'),
    embedder: z.enum(['mobilefacenet-192', 'fr-feature-512']).default('mobilefacenet-192'),
    flip: z.boolean().default(false),
    minFaceSize: z.number().int().min(12).max(1000).default(60),
  }).strict().default({ detector: 'mtcnn', embedder: 'mobilefacenet-192', flip: false, minFaceSize: 60 }),
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
    minInterEyePx: z.number().min(0).default(30),
    minBlur: z.number().min(0).default(20),
    cooldownSec: z.number().min(0).default(10),
  }).strict().refine((d) => d.votes <= d.window, { message: 'votes must not exceed window', path: ['votes'] })
    .default({ votes: 3, window: 5, minInterEyePx: 30, minBlur: 20, cooldownSec: 10 }),
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
    z.object({ type: z.literal('gpio'), line: z.number().int().min(0), sysfsRoot: z.string().default('/sys/class/gpio'), activeLow: z.boolean().default(false), pulseMs: z.number().int().min(50).max(30000).default(1000) }).strict(),
    z.object({ type: z.literal('command'), command: z.string().min(1), args: z.array(z.string()).default([]), pulseMs: z.number().int().min(50).max(30000).default(1000) }).strict(),
  ]).default({ type: 'none' }),
  /**
   * Hash-chained audit log of decisions and gallery changes (SECURITY.md). `path` absent:
   * audit.log beside the gallery directory (never inside it). `keyFile`: 32-byte HMAC key; entries
   * are then keyed and identity ids pseudonymised.
   */
  audit: z.object({
    enabled: z.boolean().default(true),
    path: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
  }).strict().default({ enabled: true }),
  http: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9464) }).strict()
    .default({ host: '127.0.0.1', port: 9464 }),
}).strict();

export type DeviceConfig = z.infer<typeof configSchema>;
export type CameraConfig = DeviceConfig['camera'];
