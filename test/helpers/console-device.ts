/**
 * A running device with the console on, for console tests: a files camera showing one image file
 * (`show` swaps it atomically; the source re-reads it every frame), a gallery in a temp dir, an
 * admin password set, and an HTTP client that keeps the session cookie and CSRF token.
 */
import { copyFile, mkdtemp, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../device/config/load-config.ts';
import { startDevice, type RunningDevice, type DeviceHooks } from '../../device/run-device.ts';
import { Credentials, defaultCredentialsPath } from '../../device/console/credentials.ts';

export const ADMIN_PASSWORD = 'correct horse battery';

export interface ConsoleDevice {
  device: RunningDevice;
  work: string;
  /** Console origin, e.g. http://127.0.0.1:40123 */
  origin: string;
  credentials: Credentials;
  show(image: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startConsoleDevice(o: { firstImage: string; mqttUrl?: string; extra?: Record<string, unknown>; hooks?: DeviceHooks; fps?: number }): Promise<ConsoleDevice> {
  const work = await mkdtemp(join(tmpdir(), 'fg-console-'));
  const frame = join(work, 'camera.img');
  await copyFile(o.firstImage, frame);
  const galleryDir = join(work, 'gallery');
  const credentials = await Credentials.open(defaultCredentialsPath(galleryDir));
  await credentials.setAdminPassword(ADMIN_PASSWORD);
  const cfg = parseConfig({
    site: 'test', device: 'door-1',
    camera: { type: 'files', path: frame, fps: o.fps ?? 4, loop: true },
    mqtt: o.mqttUrl ? { url: o.mqttUrl, homeAssistant: false } : { embeddedPort: 0, homeAssistant: false },
    gallery: { db: galleryDir },
    match: { threshold: 1.0, margin: 0.05 },
    pipeline: { detector: 'mtcnn', embedder: 'mobilefacenet-192', minFaceSize: 20 },
    decision: { votes: 2, window: 3, minInterEyePx: 25, minBlur: 10, cooldownSec: 60 },
    liveness: { enabled: false },
    http: { port: 0 },
    console: { enabled: true, port: 0 },
    ...o.extra,
  }, 'console test config');
  const device = await startDevice(cfg, o.hooks);
  let n = 0;
  return {
    device, work, credentials, origin: new URL(device.consoleUrl!).origin,
    show: async (image) => {
      const tmp = join(work, `next-${++n}.img`);
      await copyFile(image, tmp);
      await rename(tmp, frame);
    },
    stop: () => device.stop(),
  };
}

/** fetch with a cookie jar of one session and its CSRF token. */
export class ConsoleClient {
  cookie = '';
  csrf = '';
  constructor(readonly origin: string) {}

  async login(password = ADMIN_PASSWORD, user = 'admin'): Promise<Response> {
    const r = await fetch(`${this.origin}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });
    if (r.ok) {
      this.cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
      this.csrf = ((await r.clone().json()) as { csrfToken: string }).csrfToken;
    }
    return r;
  }

  fetch(path: string, init: RequestInit & { csrf?: boolean; token?: string } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    else if (this.cookie) headers.set('cookie', this.cookie);
    if (init.csrf !== false && this.csrf && !init.token) headers.set('x-csrf-token', this.csrf);
    return fetch(`${this.origin}${path}`, { ...init, headers });
  }

  json(path: string, method: string, body: unknown, init: { csrf?: boolean; token?: string } = {}): Promise<Response> {
    return this.fetch(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...init });
  }

  upload(path: string, files: { name: string; data: Buffer }[], fields: Record<string, string> = {}, init: { csrf?: boolean; token?: string } = {}): Promise<Response> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    for (const f of files) form.append('image', new Blob([new Uint8Array(f.data)]), f.name);
    return this.fetch(path, { method: 'POST', body: form, ...init });
  }
}
