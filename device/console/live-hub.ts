/**
 * Live updates for the console: a Server-Sent Events stream (decisions, frame face summaries,
 * capture progress, stats) and an MJPEG stream of annotated frames. It is the frame loop's tap:
 * `watching` is true only while a video client or a guided capture needs frames, so a closed
 * console costs the loop one property read per frame. Frames are encoded at most `fps` per
 * second, one at a time, off the loop (sharp runs in the libuv pool); a slow client skips frames.
 * Boxes and labels travel as SSE `faces` events and the console draws them; `?overlay=1` asks
 * for them drawn into the JPEG instead (an SVG composite: measured dearer, BENCHMARKS.md).
 */
import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import type { Frame } from '../../sdk/types.ts';
import type { Logger } from '../../sdk/logger.ts';
import { errorMessage } from '../../sdk/errors.ts';
import type { FrameTap, TappedFace } from '../loop/frame-loop.ts';
import { overlaySvg, type LabelledFace } from './annotate.ts';

export const MJPEG_BOUNDARY = 'facegateframe';

const roundBox = (b: { x: number; y: number; w: number; h: number }) => ({ x: Math.round(b.x), y: Math.round(b.y), w: Math.round(b.w), h: Math.round(b.h) });

export interface FrameListener {
  offer(frame: Frame, faces: readonly TappedFace[]): void;
  readonly active: boolean;
}

export class LiveHub implements FrameTap {
  #events = new Set<ServerResponse>();
  #video = new Set<ServerResponse>();
  /** Video clients that asked for boxes drawn into the JPEG (API users); the console draws its own. */
  #overlay = new WeakSet<ServerResponse>();
  #overlayClients = 0;
  #blocked = new WeakSet<ServerResponse>();
  #encoding = false;
  #lastEncode = 0;
  #listeners: FrameListener[] = [];
  /** Frames encoded and sent (tests and the bench read it). */
  framesSent = 0;

  constructor(private readonly o: { fps: number; nameOf(identity: string): string | null; logger: Logger }) {}

  get watching(): boolean {
    return this.#video.size > 0 || this.#listeners.some((l) => l.active);
  }

  get clients(): { events: number; video: number } {
    return { events: this.#events.size, video: this.#video.size };
  }

  addListener(l: FrameListener): void {
    this.#listeners.push(l);
  }

  frame(frame: Frame, faces: TappedFace[]): void {
    for (const l of this.#listeners) if (l.active) l.offer(frame, faces);
    if (this.#video.size === 0 || this.#encoding) return;
    const now = Date.now();
    // 10% slack: a camera at exactly the cap still gets every frame through despite timer jitter.
    if (now - this.#lastEncode < 900 / this.o.fps) return;
    this.#lastEncode = now;
    this.#encoding = true;
    const labelled: LabelledFace[] = faces.map((f) => ({ ...f, name: f.identity ? this.o.nameOf(f.identity) : null }));
    const raw = Buffer.from(frame.data); // a copy: the loop's buffer is not ours past this call
    const seq = ++this.#seq;
    this.#encode(raw, frame.width, frame.height, labelled)
      .catch((e) => this.o.logger.warn('live frame encode failed', { error: errorMessage(e) }))
      .finally(() => { this.#encoding = false; });
    this.send('faces', { seq, width: frame.width, height: frame.height, faces: labelled.map((f) => ({ ...f, box: roundBox(f.box), landmarks5: f.landmarks5.map(([x, y]) => [Math.round(x), Math.round(y)]) })) });
  }

  #seq = 0;

  async #encode(raw: Buffer, width: number, height: number, faces: LabelledFace[]): Promise<void> {
    const img = () => sharp(raw, { raw: { width, height, channels: 3 } });
    const plain = this.#overlayClients < this.#video.size ? await img().jpeg({ quality: 70 }).toBuffer() : null;
    const drawn = this.#overlayClients > 0 ? await img().composite([{ input: Buffer.from(overlaySvg(width, height, faces)), top: 0, left: 0 }]).jpeg({ quality: 70 }).toBuffer() : null;
    const part = (jpeg: Buffer) => [Buffer.from(`--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`), jpeg];
    const plainPart = plain && part(plain), drawnPart = drawn && part(drawn);
    for (const res of this.#video) {
      if (this.#blocked.has(res)) continue;
      const [head, jpeg] = (this.#overlay.has(res) ? drawnPart : plainPart)!;
      res.write(head);
      res.write(jpeg);
      if (!res.write('\r\n')) {
        this.#blocked.add(res);
        res.once('drain', () => this.#blocked.delete(res));
      }
    }
    this.framesSent++;
  }

  addVideo(res: ServerResponse, overlay: boolean): void {
    res.writeHead(200, { 'content-type': `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`, 'cache-control': 'no-store', connection: 'close' });
    this.#video.add(res);
    if (overlay) {
      this.#overlay.add(res);
      this.#overlayClients++;
    }
    res.on('close', () => {
      this.#video.delete(res);
      if (overlay) this.#overlayClients--;
    });
  }

  addEvents(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.#events.add(res);
    res.on('close', () => this.#events.delete(res));
  }

  /** One SSE event to every events client (dropped for a client whose socket is backed up). */
  send(event: string, data: unknown): void {
    if (this.#events.size === 0) return;
    const msg = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.#events) if (!res.writableNeedDrain) res.write(msg);
  }

  close(): void {
    for (const res of [...this.#events, ...this.#video]) res.end();
    this.#events.clear();
    this.#video.clear();
  }
}
