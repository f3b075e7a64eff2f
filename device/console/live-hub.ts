/**
 * Live updates for the console: a Server-Sent Events stream (decisions, frame face summaries,
 * capture progress, stats) and an MJPEG stream of the camera view. It is the frame loop's tap:
 * `watching` is true only while a video client or a guided capture needs frames, so a closed
 * console costs the loop one property read per frame.
 *
 * What the loop pays with the view open is kept to building the face summary: at most `fps`
 * frames a second, one for all clients, none while every client's socket is still backed up.
 * A camera JPEG (webcam, JPEG replay) is sent as it came; other frames are scaled to at most
 * LIVE_MAX_WIDTH and encoded off the loop (sharp, libuv pool) from the source's own buffer (no
 * copy: sources never reuse one). Boxes and labels travel as SSE `faces` events and the console
 * draws them; `?overlay=1` asks for them drawn into the JPEG (API users; dearer, BENCHMARKS.md).
 */
import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import type { SourceFrame } from '../sources/camera-source.ts';
import type { Logger } from '../../sdk/logger.ts';
import { errorMessage } from '../../sdk/errors.ts';
import type { FrameTap, TappedFace } from '../loop/frame-loop.ts';
import { overlaySvg, type LabelledFace } from './annotate.ts';

export const MJPEG_BOUNDARY = 'facegateframe';
/** Wider frames are scaled down before encoding: a console panel shows about this many pixels. */
export const LIVE_MAX_WIDTH = 640;
const JPEG = { quality: 70, optimiseCoding: false } as const; // one Huffman pass: half the CPU, ~5% more bytes

const roundBox = (b: { x: number; y: number; w: number; h: number }) => ({ x: Math.round(b.x), y: Math.round(b.y), w: Math.round(b.w), h: Math.round(b.h) });

export interface FrameListener {
  offer(frame: SourceFrame, faces: readonly TappedFace[]): void;
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

  frame(frame: SourceFrame, faces: TappedFace[]): void {
    for (const l of this.#listeners) if (l.active) l.offer(frame, faces);
    if (this.#video.size === 0 || this.#encoding) return;
    const now = Date.now();
    // 10% slack: a camera at exactly the cap still gets every frame through despite timer jitter.
    if (now - this.#lastEncode < 900 / this.o.fps) return;
    // Nobody could take a frame now: skip it rather than build one to throw away.
    let ready = false;
    for (const res of this.#video) if (!this.#blocked.has(res)) ready = true;
    if (!ready) return;
    this.#lastEncode = now;
    this.#encoding = true;
    const labelled: LabelledFace[] = faces.map((f) => ({ ...f, name: f.identity ? this.o.nameOf(f.identity) : null }));
    const seq = ++this.#seq;
    this.#encode(frame, labelled)
      .catch((e) => this.o.logger.warn('live frame encode failed', { error: errorMessage(e) }))
      .finally(() => { this.#encoding = false; });
    this.send('faces', { seq, width: frame.width, height: frame.height, faces: labelled.map((f) => ({ ...f, box: roundBox(f.box), landmarks5: f.landmarks5.map(([x, y]) => [Math.round(x), Math.round(y)]) })) });
  }

  #seq = 0;
  /** Frames sent as the camera's own JPEG, not encoded here (tests and the bench read it). */
  framesPassedThrough = 0;

  async #encode(frame: SourceFrame, faces: LabelledFace[]): Promise<void> {
    const { width, height } = frame;
    const img = () => sharp(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), { raw: { width, height, channels: 3 } });
    const wantPlain = this.#overlayClients < this.#video.size;
    let plain: Uint8Array | null = null;
    if (wantPlain && frame.jpeg) {
      plain = frame.jpeg;
      this.framesPassedThrough++;
    } else if (wantPlain) {
      plain = await (width > LIVE_MAX_WIDTH ? img().resize({ width: LIVE_MAX_WIDTH }) : img()).jpeg(JPEG).toBuffer();
    }
    // Drawn at the frame's own size: the boxes are in its pixels.
    const drawn = this.#overlayClients > 0 ? await img().composite([{ input: Buffer.from(overlaySvg(width, height, faces)), top: 0, left: 0 }]).jpeg(JPEG).toBuffer() : null;
    const part = (jpeg: Uint8Array) => [Buffer.from(`--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`), jpeg] as const;
    const plainPart = plain && part(plain), drawnPart = drawn && part(drawn);
    for (const res of this.#video) {
      if (this.#blocked.has(res)) continue;
      const chosen = this.#overlay.has(res) ? drawnPart : plainPart;
      if (!chosen) continue; // a client that joined during the encode: it gets the next frame
      res.write(chosen[0]);
      res.write(chosen[1]);
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
