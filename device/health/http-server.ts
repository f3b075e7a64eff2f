import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeviceMetrics } from './metrics.ts';

export interface HealthSnapshot {
  ok: boolean;
  camera: string;
  broker: 'connected' | 'disconnected';
  lastFrameAgeMs: number | null;
  galleryVersion: number;
  identities: number;
  queued: number;
  /** Operating point in effect (threshold, implied stranger rate for this gallery). */
  match?: { threshold: number; source: 'fpir' | 'threshold'; targetFpir: number; impliedFpir: number | null; templates: number };
  /** The gallery's search index in effect: exact or HNSW, and the HNSW settings (gallery.hnsw or chosen by size). */
  index?: { kind: 'exact' | 'hnsw' | 'none'; m: number; efConstruction: number; ef: number; efFirst: number | null };
}

/** Loopback HTTP: /healthz (200 ok / 503 degraded, JSON) and Prometheus /metrics. */
export async function startHealthServer(opts: { host: string; port: number; metrics: DeviceMetrics; health: () => HealthSnapshot }): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (req.url === '/healthz') {
      const h = opts.health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h));
    } else if (req.url === '/metrics') {
      opts.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
