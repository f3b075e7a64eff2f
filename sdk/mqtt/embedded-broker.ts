/**
 * A broker inside the device process (aedes) for installs with no broker configured, so the
 * main job runs out of the box. Loopback only and in-memory: real sites use Mosquitto, EMQX or
 * another cluster.
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { FaceGateError, errorMessage } from '../errors.ts';

export interface EmbeddedBroker {
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

/** Starts aedes on `host` (default 127.0.0.1) and `port` (default 1883; 0 = any free port). */
export async function startEmbeddedBroker(opts: { port?: number; host?: string } = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 1883, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await new Promise<void>((r) => broker.close(() => r()));
    throw new FaceGateError('FG_MQTT', `cannot start the embedded MQTT broker on ${host}:${opts.port ?? 1883}: ${errorMessage(e)}`, { cause: e });
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 1883);
  return {
    url: `mqtt://${host}:${port}`,
    port,
    host,
    close: async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      // Connected clients keep the server open; aedes.close() has ended them already.
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
