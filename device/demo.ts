/**
 * The out-of-the-box main job: a door terminal replaying real photos (the face-api demo photos
 * from the npm registry, or the user's own), with an embedded MQTT broker, an enrolled gallery,
 * and decisions printed as they are published.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_DETECTOR, DEFAULT_DEVICE_EMBEDDER } from '../sdk/registry.ts';
import { mkdir, mkdtemp, readdir, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import mqtt from 'mqtt';
import { fetchSource } from '../models/fetch/fetch-source.ts';
import { createPipeline, mostCentralFace } from '../sdk/pipeline/index.ts';
import { Gallery } from '../sdk/gallery/index.ts';
import { FaceGateError } from '../sdk/errors.ts';
import { silentLogger, type Logger } from '../sdk/logger.ts';
import { parseConfig } from './config/load-config.ts';
import { startDevice, type PublishedDecision } from './run-device.ts';
import { Credentials, defaultCredentialsPath } from './console/credentials.ts';

const IMAGE = /\.(jpe?g|png|webp)$/i;

export interface DemoOptions {
  /** Folder (or image) replayed as the camera; default: the face-api demo photos. */
  path?: string;
  /** Enrolment folder: `<identity>.jpg` files or `<identity>/` subfolders; default: faces of the first 3 demo photos. */
  enroll?: string;
  workdir?: string;
  /** A raw distance threshold; default none (derived from match.fpir for the demo gallery). */
  threshold?: number;
  /** Replay rate; each photo is shown 3 times in a row. */
  fps?: number;
  logger?: Logger;
  onDecision?: (d: PublishedDecision) => void;
  /**
   * Serve the operator console (default on) on this port (default 9465; 0 = any free port). A
   * one-time admin password is generated for the run and handed to `onConsole` with the URL.
   */
  console?: { port?: number; onReady?(url: string, password: string): void } | false;
  /** When given, the device keeps running after the replay until this settles (the console stays up). */
  stay?: Promise<void>;
}

export interface DemoSummary {
  workdir: string;
  enrolled: string[];
  frames: number;
  decisions: PublishedDecision[];
  receivedOverMqtt: number;
  broker: string;
  console?: string;
}

async function enrollmentImages(dir: string): Promise<{ identity: string; image: string }[]> {
  const out: { identity: string; image: string }[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const p = join(dir, name);
    if ((await stat(p)).isDirectory()) {
      for (const f of (await readdir(p)).sort()) if (IMAGE.test(f)) out.push({ identity: name, image: join(p, f) });
    } else if (IMAGE.test(name)) out.push({ identity: basename(name, extname(name)), image: p });
  }
  return out;
}

export async function runDemo(o: DemoOptions = {}): Promise<DemoSummary> {
  const log = o.logger ?? silentLogger;
  const workdir = o.workdir ?? (await mkdtemp(join(tmpdir(), 'facegate-demo-')));
  const photos = join(await fetchSource('faceapi'), 'demo');
  const db = join(workdir, 'gallery');
  const enrolled: string[] = [];
  // Enrol first, with the same pipeline settings the device uses.
  const pipeline = await createPipeline({ detector: DEFAULT_DETECTOR, embedder: DEFAULT_DEVICE_EMBEDDER, minFaceSize: 40 });
  try {
    const gallery = await Gallery.open(db, { modelId: pipeline.modelId, dim: pipeline.embedder.dim, create: true });
    try {
      if (o.enroll) {
        for (const { identity, image } of await enrollmentImages(o.enroll)) {
          const r = await pipeline.analyze(image);
          const face = r.faces[mostCentralFace(r.faces, r.width, r.height)];
          if (!face) { log.warn('no face to enrol', { image }); continue; }
          gallery.enroll(identity, [face.embedding], { source: image });
          if (!enrolled.includes(identity)) enrolled.push(identity);
        }
      } else {
        // Every face of the first three demo photos becomes a person: photoN-faceK, left to right.
        for (const n of [1, 2, 3]) {
          const r = await pipeline.analyze(join(photos, `sample${n}.jpg`));
          const faces = [...r.faces].sort((a, b) => a.box.x - b.box.x);
          faces.forEach((f, k) => {
            const id = `photo${n}-face${k + 1}`;
            gallery.enroll(id, [f.embedding], { name: id, source: `sample${n}.jpg` });
            enrolled.push(id);
          });
        }
      }
      if (enrolled.length === 0) throw new FaceGateError('FG_INPUT_INVALID', 'demo: nobody could be enrolled (no faces found)');
    } finally {
      await gallery.close();
    }
  } finally {
    await pipeline.release();
  }

  let camera = o.path;
  if (!camera) {
    // The package's demo folder also holds screenshots: replay only the six photos.
    camera = join(workdir, 'camera');
    await mkdir(camera, { recursive: true });
    for (let n = 1; n <= 6; n++) await symlink(join(photos, `sample${n}.jpg`), join(camera, `sample${n}.jpg`)).catch(() => {});
  }
  const consoleOn = o.console !== false;
  let password = '';
  if (consoleOn) {
    // A fresh password for each demo run, in the run's own workdir: nothing to remember or leak.
    password = randomBytes(12).toString('base64url');
    await (await Credentials.open(defaultCredentialsPath(db))).setAdminPassword(password);
  }
  const cfg = parseConfig({
    site: 'demo', device: 'door-1',
    camera: { type: 'files', path: camera, fps: o.fps ?? 1, loop: false, repeat: 3 },
    mqtt: { embeddedPort: 0, homeAssistant: true },
    gallery: { db },
    // No raw threshold unless asked: the device derives it from match.fpir for the gallery it holds.
    match: { ...(o.threshold !== undefined ? { threshold: o.threshold } : {}), margin: 0.05 },
    pipeline: { detector: DEFAULT_DETECTOR, embedder: DEFAULT_DEVICE_EMBEDDER, minFaceSize: 40 },
    decision: { votes: 2, window: 3, minInterEyePx: 20, minBlur: 10, cooldownSec: 30 },
    http: { port: 0 },
    console: { enabled: consoleOn, port: (o.console && o.console.port) ?? 9465 },
  }, 'demo config');
  const decisions: PublishedDecision[] = [];
  const device = await startDevice(cfg, { logger: log, onDecision: (d) => { decisions.push(d); o.onDecision?.(d); } });
  if (o.console && device.consoleUrl) o.console.onReady?.(device.consoleUrl, password);
  // An ordinary MQTT subscriber, as a site's integration would be.
  const sub = await mqtt.connectAsync(device.brokerUrl, { clientId: 'demo-subscriber' });
  let received = 0;
  sub.on('message', () => received++);
  await sub.subscribeAsync(`facegate/demo/door-1/decision`, { qos: 1 });
  try {
    await device.ended;
    if (o.stay) await o.stay;
    // Let the last frame's decisions reach the broker and the subscriber.
    await device.link.flush(5000);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await device.stop();
    await sub.endAsync();
  }
  return { workdir, enrolled, frames: Number((await device.metrics.frames.get()).values[0]?.value ?? 0), decisions, receivedOverMqtt: received, broker: device.brokerUrl, ...(device.consoleUrl ? { console: device.consoleUrl } : {}) };
}
