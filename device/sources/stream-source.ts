import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { CameraSource } from './camera-source.ts';

export interface StreamSourceOptions {
  url: string;
  width: number;
  height: number;
  fps: number;
  stallTimeoutSec: number;
  ffmpegPath?: string;
  /** Replay a local file in real time (demo/testing) instead of as fast as it decodes. */
  realtime?: boolean;
}

/** Longest wait between ffmpeg restarts. */
const MAX_RESTART_DELAY_MS = 30_000;

/** ffmpeg arguments: decode any RTSP/HTTP/V4L2/file input into raw RGB frames of a fixed size. */
export function ffmpegArgs(o: StreamSourceOptions): string[] {
  const input: string[] = [];
  if (o.url.startsWith('rtsp://')) input.push('-rtsp_transport', 'tcp');
  if (o.url.startsWith('/dev/video')) input.push('-f', 'v4l2');
  // MJPEG over HTTP carries no timestamps: ffmpeg would stamp it at 25 fps and the fps filter
  // would then drop real frames (a 15 fps camera gave 9 fps). Arrival time is the frame's time.
  if (/^https?:\/\//.test(o.url)) input.push('-use_wallclock_as_timestamps', '1');
  if (o.realtime) input.push('-re');
  return ['-hide_banner', '-loglevel', 'error', '-nostdin', ...input, '-i', o.url, '-an',
    '-vf', `fps=${o.fps},scale=${o.width}:${o.height}`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'];
}

/**
 * A persistent ffmpeg child reading a stream into raw frames (the real-time path: no process per
 * frame). When ffmpeg dies or goes silent, it is restarted with exponential backoff.
 */
export class StreamSource extends CameraSource {
  readonly kind = 'stream';
  #child?: ChildProcessByStdio<null, Readable, Readable>;
  #stopped = true;
  #restartTimer?: NodeJS.Timeout;
  #watchdog?: NodeJS.Timeout;
  #lastFrameAt = 0;
  #backoffMs = 500;
  restarts = 0;
  #faultReported = false;
  constructor(private readonly opts: StreamSourceOptions) {
    super();
  }

  start(): void {
    this.#stopped = false;
    this.#spawn();
    this.#watchdog = setInterval(() => this.#checkStall(), 500);
  }

  #spawn(): void {
    this.setState('starting');
    const frameBytes = this.opts.width * this.opts.height * 3;
    // The args are an array: the URL never passes through a shell.
    const child = spawn(this.opts.ffmpegPath ?? 'ffmpeg', ffmpegArgs(this.opts), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#lastFrameAt = Date.now();
    let buf = Buffer.allocUnsafe(frameBytes);
    let filled = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - off);
        chunk.copy(buf, filled, off, off + n);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          this.#lastFrameAt = Date.now();
          this.#backoffMs = 500;
          if (this.state !== 'running') this.setState('running');
          this.emit('frame', { data: new Uint8Array(buf.buffer, buf.byteOffset, frameBytes), width: this.opts.width, height: this.opts.height }, this.#lastFrameAt);
          buf = Buffer.allocUnsafe(frameBytes); // the emitted frame keeps its buffer
          filled = 0;
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        // spawn found no program: retrying only helps once it is installed, so say so once.
        stderr += `${this.opts.ffmpegPath ?? 'ffmpeg'} not found`;
        if (!this.#faultReported) {
          this.#faultReported = true;
          this.emit('fault', `camera: ${this.opts.ffmpegPath ?? 'ffmpeg'} not found — install it (Debian, Ubuntu, Raspberry Pi OS: sudo apt install ffmpeg) or set its path; retrying every ${MAX_RESTART_DELAY_MS / 1000} s at most`);
        }
        return;
      }
      stderr += e.message;
    });
    child.on('close', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      if (this.#stopped) return;
      // ffmpeg echoes the input URL in its errors: drop user:password@ before it reaches logs.
      const last = (stderr.trim().split('\n').pop() ?? '').replace(/\/\/[^@/\s]*@/g, '//');
      this.setState('lost', `ffmpeg exited (${signal ?? code}): ${last}`);
      this.#scheduleRestart();
    });
  }

  #scheduleRestart(): void {
    clearTimeout(this.#restartTimer);
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_RESTART_DELAY_MS);
    this.#restartTimer = setTimeout(() => {
      if (this.#stopped) return;
      this.restarts++;
      this.#spawn();
    }, delay);
  }

  #checkStall(): void {
    if (this.#stopped || !this.#child) return;
    if (Date.now() - this.#lastFrameAt > this.opts.stallTimeoutSec * 1000) {
      this.setState('stalled', `no frame for ${this.opts.stallTimeoutSec}s`);
      this.#child.kill('SIGKILL'); // 'close' schedules the restart
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    clearInterval(this.#watchdog);
    const child = this.#child;
    this.#child = undefined;
    if (child && child.exitCode === null) {
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await closed;
      clearTimeout(t);
    }
    this.setState('stopped');
  }
}
