/**
 * The device configuration: one schema gives the TypeScript type, the defaults and the
 * validation messages (`path: problem`). Keys named in the issues are part of the contract.
 */
import { z } from 'zod';

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
    /** Durable decision queue (SQLite); default: decision-queue.sqlite beside the gallery. */
    queueDb: z.string().optional(),
    /** Site enrolment public key(s) (PEM): when set, the device follows signed enrolment sync. */
    enrollmentPublicKey: z.string().optional(),
    homeAssistant: z.boolean().default(true),
  }).strict().default({ insecure: false, embeddedPort: 1883, homeAssistant: true }),
  gallery: z.object({ db: z.string().min(1), keyFile: z.string().optional() }).strict(),
  match: z.object({
    threshold: z.number().positive().max(2),
    margin: z.number().min(0).max(2).default(0.05),
  }).strict(),
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
  }).strict().default({ providers: ['cpu'], precision: 'auto' }),
  decision: z.object({
    /** A decision needs `votes` agreeing frames among the track's last `window`. */
    votes: z.number().int().min(1).default(3),
    window: z.number().int().min(1).default(5),
    minInterEyePx: z.number().min(0).default(30),
    minBlur: z.number().min(0).default(20),
    cooldownSec: z.number().min(0).default(10),
  }).strict().refine((d) => d.votes <= d.window, { message: 'votes must not exceed window', path: ['votes'] })
    .default({ votes: 3, window: 5, minInterEyePx: 30, minBlur: 20, cooldownSec: 10 }),
  door: z.discriminatedUnion('type', [
    z.object({ type: z.literal('none') }).strict(),
    // Kernel sysfs GPIO (global line number); for libgpiod use type command with `gpioset`.
    z.object({ type: z.literal('gpio'), line: z.number().int().min(0), sysfsRoot: z.string().default('/sys/class/gpio'), activeLow: z.boolean().default(false), pulseMs: z.number().int().min(50).max(30000).default(1000) }).strict(),
    z.object({ type: z.literal('command'), command: z.string().min(1), args: z.array(z.string()).default([]), pulseMs: z.number().int().min(50).max(30000).default(1000) }).strict(),
  ]).default({ type: 'none' }),
  http: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9464) }).strict()
    .default({ host: '127.0.0.1', port: 9464 }),
}).strict();

export type DeviceConfig = z.infer<typeof configSchema>;
export type CameraConfig = DeviceConfig['camera'];
