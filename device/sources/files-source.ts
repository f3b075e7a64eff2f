import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CameraSource, type FrameDecoder, type SourceFrame } from './camera-source.ts';
import { passThroughJpeg } from './jpeg-size.ts';
import { checkImageFile } from '../../sdk/image/index.ts';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff']);

/**
 * Replays a folder of images (sorted by name) or one image at `fps`: demos, tests and
 * calibration on recorded material. Video files go through the stream source (ffmpeg).
 */
export class FilesSource extends CameraSource {
  readonly kind = 'files';
  #timer?: NodeJS.Timeout;
  #stopped = false;
  constructor(private readonly opts: { path: string; fps: number; loop: boolean; repeat?: number; decode: FrameDecoder }) {
    super();
  }

  start(): void {
    this.#stopped = false;
    this.setState('starting');
    void this.#run();
  }

  async #list(): Promise<string[]> {
    const s = await stat(this.opts.path);
    if (!s.isDirectory()) return [this.opts.path];
    const names = (await readdir(this.opts.path)).filter((n) => IMAGE_EXT.has(extname(n).toLowerCase())).sort();
    return names.map((n) => join(this.opts.path, n));
  }

  async #run(): Promise<void> {
    let files: string[];
    try {
      files = await this.#list();
    } catch (e) {
      this.setState('lost', `cannot read ${this.opts.path}: ${(e as Error).message}`);
      return;
    }
    if (files.length === 0) {
      this.setState('lost', `no images in ${this.opts.path}`);
      return;
    }
    const periodMs = 1000 / this.opts.fps;
    const repeat = this.opts.repeat ?? 1;
    files = files.flatMap((f) => Array<string>(repeat).fill(f));
    let i = 0;
    const tick = async () => {
      if (this.#stopped) return;
      if (i >= files.length) {
        if (!this.opts.loop) {
          this.setState('ended');
          return;
        }
        i = 0;
      }
      const file = files[i++];
      const t0 = performance.now();
      try {
        // Read once, decoded from memory: a JPEG's own bytes then feed the live view as they are.
        await checkImageFile(file);
        const bytes = await readFile(file);
        const decoded = await this.opts.decode(bytes);
        const frame: SourceFrame = { ...decoded, jpeg: passThroughJpeg(bytes, decoded) };
        if (this.state !== 'running') this.setState('running');
        this.emit('frame', frame, Date.now());
      } catch (e) {
        this.emit('badFrame', `${file}: ${(e as Error).message}`);
      }
      if (!this.#stopped) this.#timer = setTimeout(tick, Math.max(0, periodMs - (performance.now() - t0)));
    };
    await tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.setState('stopped');
  }
}
