/**
 * Incoming messages to their owner by topic. Size is checked first, before any decoding: each
 * route has a payload bound, and anything else subscribed (Home Assistant's status) a small one.
 * Round-trip markers (a private topic the link publishes to itself) are answered before all else.
 */
import type { DeviceEventFields } from './device-events.ts';

/** Bound for topics no route claims (Home Assistant status: "online"/"offline"). */
export const MAX_OTHER_BYTES = 1024;

export interface InboundRoute {
  matches(topic: string): boolean;
  maxBytes: number;
  handle(topic: string, payload: Buffer, retained: boolean): void | Promise<void>;
}

export class InboundRouter {
  #routes: InboundRoute[] = [];
  #markers = new Map<string, () => void>();
  #tooLarge: (fields: DeviceEventFields['message-rejected']) => void;

  constructor(tooLarge: (fields: DeviceEventFields['message-rejected']) => void) {
    this.#tooLarge = tooLarge;
  }

  /** Routes are tried in the order they are added. */
  add(route: InboundRoute): void {
    this.#routes.push(route);
  }

  /** `seen` runs once when a message arrives on `topic`; the returned function cancels. */
  marker(topic: string, seen: () => void): () => void {
    this.#markers.set(topic, () => { this.#markers.delete(topic); seen(); });
    return () => { this.#markers.delete(topic); };
  }

  async route(topic: string, payload: Buffer, retained: boolean): Promise<void> {
    const marker = this.#markers.get(topic);
    if (marker) {
      marker();
      return;
    }
    const route = this.#routes.find((r) => r.matches(topic));
    const limit = route?.maxBytes ?? MAX_OTHER_BYTES;
    if (payload.length > limit) {
      this.#tooLarge({ topic, reason: 'too-large', bytes: payload.length, limit });
      return;
    }
    await route?.handle(topic, payload, retained);
  }
}
