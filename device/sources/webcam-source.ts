import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import NodeWebcam from 'node-webcam';
import { FaceGateError } from '../../sdk/errors.ts';
import { CameraSource, type FrameDecoder, type SourceFrame } from './camera-source.ts';
import { passThroughJpeg } from './jpeg-size.ts';

const DEVICE_RE = /^\/dev\/video\d{1,3}$/;

/**
 * USB webcam through node-webcam (fswebcam), one process per frame: simple, slow; the stream
 * source (ffmpeg on /dev/videoN) is the real-time path. node-webcam joins its options into a shell
 * string, so nothing user-given reaches it unvalidated: the device must match /dev/videoN, sizes
 * are integers, and the output file is our own temp path.
 */
export class WebcamSource extends CameraSource {
  readonly kind = 'webcam';
  #stopped = true;
  #timer?: NodeJS.Timeout;
  #dir?: string;
  constructor(private readonly opts: { device: string; width: number; height: number; fps: number; decode: FrameDecoder }) {
    super();
    if (!DEVICE_RE.test(opts.device)) throw new FaceGateError('FG_CONFIG_INVALID', `camera.device: expected /dev/videoN, got ${JSON.stringify(opts.device)}`);
    if (![opts.width, opts.height].every((n) => Number.isInteger(n) && n > 0 && n <= 8192)) {
      throw new FaceGateError('FG_CONFIG_INVALID', 'camera.width/height: expected positive integers');
    }
  }

  start(): void {
    this.#stopped = false;
    this.setState('starting');
    void this.#loop();
  }

  #capture(location: string): Promise<Buffer> {
    const cam = NodeWebcam.create({
      width: this.opts.width, height: this.opts.height, device: this.opts.device, output: 'jpeg', quality: 90,
      delay: 0, saveShots: false, callbackReturn: 'location', verbose: false,
    });
    return new Promise((resolve, reject) => {
      cam.capture(location, (err: Error | null) => {
        if (err) return reject(err);
        // fswebcam exits 0 and writes nothing when there is no device: an empty file is "camera lost".
        readFile(`${location}.jpg`).then(resolve, (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? resolve(Buffer.alloc(0)) : reject(e)));
      });
    });
  }

  async #loop(): Promise<void> {
    this.#dir = await mkdtemp(join(tmpdir(), 'facegate-webcam-'));
    const location = join(this.#dir, 'shot');
    const periodMs = 1000 / this.opts.fps;
    let failures = 0;
    while (!this.#stopped) {
      const t0 = performance.now();
      try {
        const jpeg = await this.#capture(location);
        if (jpeg.length === 0) throw new Error(`no image from ${this.opts.device} (fswebcam wrote nothing)`);
        const decoded = await this.opts.decode(jpeg);
        const frame: SourceFrame = { ...decoded, jpeg: passThroughJpeg(jpeg, decoded) };
        failures = 0;
        if (this.state !== 'running') this.setState('running');
        this.emit('frame', frame, Date.now());
      } catch (e) {
        failures++;
        this.setState('lost', `${this.opts.device}: ${(e as Error).message.split('\n')[0]}`);
      }
      // Back off while the camera is gone, up to 10 s between attempts.
      const wait = failures ? Math.min(10_000, 500 * 2 ** Math.min(failures, 5)) : Math.max(0, periodMs - (performance.now() - t0));
      await new Promise<void>((r) => { this.#timer = setTimeout(r, wait); });
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
    this.setState('stopped');
  }
}
