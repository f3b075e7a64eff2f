import { EventEmitter } from 'node:events';
import type { Frame } from '../../sdk/types.ts';

export type SourceState = 'starting' | 'running' | 'stalled' | 'lost' | 'ended' | 'stopped';

export interface SourceEvents {
  frame: [frame: Frame, capturedAtMs: number];
  state: [state: SourceState, detail?: string];
  /** A frame that could not be decoded: reported, skipped, the source goes on. */
  badFrame: [detail: string];
  /** A problem retrying will not fix by itself (a missing program): says what to do; logged as an error. */
  fault: [message: string];
}

/** A camera or replay: emits frames as they arrive; the loop decides which ones it can take. */
export abstract class CameraSource extends EventEmitter<SourceEvents> {
  abstract readonly kind: string;
  #state: SourceState = 'stopped';
  get state(): SourceState {
    return this.#state;
  }
  protected setState(s: SourceState, detail?: string): void {
    if (s === this.#state && !detail) return;
    this.#state = s;
    this.emit('state', s, detail);
  }
  abstract start(): void;
  abstract stop(): Promise<void>;
}

/** Decodes an encoded image (file path or bytes) into an RGB frame; injected by the composition. */
export type FrameDecoder = (input: string | Uint8Array) => Promise<Frame>;
