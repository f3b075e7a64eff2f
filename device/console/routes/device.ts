/** Device status, read-only config (secrets redacted), the Device page summary, calibration. */
import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../console-deps.ts';
import { redactConfig } from '../../config/redact-config.ts';

interface MetricValue { value: number; labels: Partial<Record<string, string | number>>; metricName?: string }

/** Stage latency quantiles from the histogram buckets (upper bucket bound: a conservative figure). */
function stageSummary(values: MetricValue[]): Record<string, { count: number; p50: number | null; p99: number | null }> {
  const by = new Map<string, { le: number; n: number }[]>();
  const counts = new Map<string, number>();
  for (const v of values) {
    const stage = String(v.labels.stage);
    if (v.labels.le !== undefined) {
      const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
      (by.get(stage) ?? by.set(stage, []).get(stage)!).push({ le, n: v.value });
    } else if (v.metricName?.endsWith('_count')) counts.set(stage, v.value);
  }
  const out: Record<string, { count: number; p50: number | null; p99: number | null }> = {};
  for (const [stage, buckets] of by) {
    buckets.sort((a, b) => a.le - b.le);
    const total = buckets[buckets.length - 1]?.n ?? 0;
    const q = (p: number) => (total === 0 ? null : buckets.find((b) => b.n >= p * total)?.le ?? null);
    const fin = (x: number | null) => (x === Infinity ? null : x);
    out[stage] = { count: counts.get(stage) ?? total, p50: fin(q(0.5)), p99: fin(q(0.99)) };
  }
  return out;
}

export function deviceRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const status = () => {
    const h = deps.health();
    return {
      site: deps.cfg.site, device: deps.cfg.device, ok: h.ok, camera: h.camera, lastFrameAgeMs: h.lastFrameAgeMs,
      models: deps.models(), gallery: { version: deps.gallery.version, identities: h.identities, encrypted: deps.gallery.encrypted },
      sync: deps.sync(), match: deps.threshold(), uptimeSec: Math.round(process.uptime()),
    };
  };
  app.get('/api/v1/status', { config: { scope: 'read' } }, async () => status());
  app.get('/api/v1/config', { config: { scope: 'read' } }, async () => redactConfig(deps.cfg));

  app.get('/api/v1/device', { config: { scope: 'read' } }, async () => {
    const m = deps.metrics;
    const one = async (g: { get(): Promise<{ values: MetricValue[] }> }) => (await g.get()).values.reduce((s, v) => s + v.value, 0);
    const decisions = (await m.decisions.get()).values.map((v) => ({ decision: String(v.labels.decision), reason: String(v.labels.reason ?? ''), count: v.value }));
    return {
      status: status(),
      metrics: {
        fps: await one(m.fps), frames: await one(m.frames), dropped: await one(m.framesDropped), badFrames: await one(m.badFrames),
        queueDepth: await one(m.queueDepth), errors: await one(m.errors), stages: stageSummary((await m.stageMs.get()).values as MetricValue[]), decisions,
      },
      recent: deps.liveFigures(),
      live: deps.hub.clients,
      memoryMb: Math.round(process.memoryUsage().rss / 1e6),
      logs: deps.logs.lines().slice(-100),
    };
  });
}
