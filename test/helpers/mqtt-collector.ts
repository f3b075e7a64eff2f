/** A test subscriber that records every message on some filters (with a persistent session). */
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

export class Collector {
  readonly client: MqttClient;
  readonly messages: Received[] = [];

  private constructor(client: MqttClient) {
    this.client = client;
    client.on('message', (topic, payload, packet) => this.messages.push({ topic, payload, retain: packet.retain === true }));
  }

  /**
   * Connects and subscribes (QoS 1). `persistent` uses clean=false with a fixed client id, so
   * messages published while it is disconnected are kept for it by the broker.
   */
  static async start(url: string, filters: string[], opts: Partial<IClientOptions> & { persistent?: string } = {}): Promise<Collector> {
    const { persistent, ...rest } = opts;
    const client = mqtt.connect(url, {
      reconnectPeriod: 100,
      connectTimeout: 5000,
      ...(persistent ? { clean: false, clientId: persistent } : {}),
      ...rest,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const c = new Collector(client);
    if (filters.length) await client.subscribeAsync(filters, { qos: 1 });
    return c;
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  json<T = Record<string, unknown>>(topic: string): T[] {
    return this.on(topic).filter((m) => m.payload.length > 0).map((m) => JSON.parse(m.payload.toString('utf8')) as T);
  }

  /** Waits until `pred` holds (polling), or throws after `timeoutMs`. */
  async until(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

export async function waitFor(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
