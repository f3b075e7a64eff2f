/**
 * Runs the three fuzzers (images, MQTT payloads, configs) with one seed and returns counts per
 * target: accepted, clear errors, unclear errors, crashes (an uncaught exception or rejection
 * while the case ran) and hangs (no answer within the per-case deadline).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mosquitto, hasMosquitto } from '../mosquitto.ts';
import { configBase, configCase, runConfigCase } from './config-cases.ts';
import { imageBases, imageCase, runImageCase, tmpImagePath } from './image-cases.ts';
import { mqttCase, mqttHarness, runMqttCase } from './mqtt-cases.ts';
import { caseSeed, FuzzRng, Tally, withDeadline, type TargetSummary } from './mutate.ts';

export interface FuzzOptions {
  seed: number;
  images: number;
  mqtt: number;
  configs: number;
  /** Per-case deadline. */
  timeoutMs: number;
  /** Share of image cases read from a file instead of from memory. */
  fileShare?: number;
  onProgress?: (target: string, done: number, total: number) => void;
}

export interface FuzzSummary {
  seed: number;
  targets: Record<'images' | 'mqtt' | 'configs', TargetSummary | { skipped: string }>;
  total: { cases: number; crash: number; hang: number; unclear: number; clearErrorRate: number };
  rssMaxMiB: number;
  wallS: number;
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const t0 = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'fg-fuzz-'));
  let crashedWith: string | undefined;
  const onCrash = (e: unknown) => { crashedWith = String(e instanceof Error ? e.stack ?? e.message : e); };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  let rss = process.memoryUsage().rss;
  const record = (tally: Tally, index: number, kind: string, r: { outcome: 'ok' | 'clear' | 'unclear' | 'crash' | 'hang'; message: string }, ms: number) => {
    if (crashedWith !== undefined) {
      tally.add(index, kind, 'crash', ms, crashedWith);
      crashedWith = undefined;
    } else tally.add(index, kind, r.outcome, ms, r.message);
    rss = Math.max(rss, process.memoryUsage().rss);
  };
  const targets = {} as FuzzSummary['targets'];
  try {
    // Images.
    const bases = await imageBases();
    const images = new Tally();
    for (let i = 0; i < o.images; i++) {
      const r = new FuzzRng(caseSeed(o.seed, i));
      const c = imageCase(bases, r);
      const viaFile = r.next() < (o.fileShare ?? 0.1) ? tmpImagePath(dir, i) : undefined;
      const s = performance.now();
      const res = await withDeadline(() => runImageCase(c.bytes, viaFile), o.timeoutMs);
      record(images, i, c.kind, res.hang ? { outcome: 'hang', message: `over ${o.timeoutMs} ms` } : res.value ?? { outcome: 'unclear', message: String(res.error) }, performance.now() - s);
      if (i % 500 === 499) o.onProgress?.('images', i + 1, o.images);
    }
    targets.images = images.summary();

    // MQTT, through a real Mosquitto.
    if (!hasMosquitto) targets.mqtt = { skipped: 'mosquitto not installed' };
    else if (o.mqtt > 0) {
      const broker = await Mosquitto.start({ persistence: false, extra: ['message_size_limit 0'] });
      const h = await mqttHarness(broker.url, o.seed);
      const mq = new Tally();
      try {
        for (let i = 0; i < o.mqtt; i++) {
          const r = new FuzzRng(caseSeed(o.seed + 1, i));
          const c = mqttCase(h, r);
          const s = performance.now();
          record(mq, i, c.kind, await runMqttCase(h, c, o.timeoutMs), performance.now() - s);
          if (i % 500 === 499) o.onProgress?.('mqtt', i + 1, o.mqtt);
        }
      } finally {
        await h.close();
        await broker.dispose();
      }
      targets.mqtt = mq.summary();
    }

    // Configs, through the real loader.
    const base = await configBase();
    const cf = new Tally();
    const cfgPath = join(dir, 'device.yaml');
    for (let i = 0; i < o.configs; i++) {
      const r = new FuzzRng(caseSeed(o.seed + 2, i));
      const c = configCase(base, r);
      const s = performance.now();
      const res = await withDeadline(() => runConfigCase(cfgPath, c.text), o.timeoutMs);
      record(cf, i, c.kind, res.hang ? { outcome: 'hang', message: `over ${o.timeoutMs} ms` } : res.value ?? { outcome: 'unclear', message: String(res.error) }, performance.now() - s);
      if (i % 500 === 499) o.onProgress?.('configs', i + 1, o.configs);
    }
    targets.configs = cf.summary();
  } finally {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    await rm(dir, { recursive: true, force: true });
  }
  const done = Object.values(targets).filter((t): t is TargetSummary => 'cases' in t);
  const sum = (k: 'cases' | 'crash' | 'hang' | 'unclear' | 'clear' | 'ok') => done.reduce((n, t) => n + t[k], 0);
  const refused = sum('cases') - sum('ok');
  return {
    seed: o.seed, targets,
    total: { cases: sum('cases'), crash: sum('crash'), hang: sum('hang'), unclear: sum('unclear'), clearErrorRate: refused ? sum('clear') / refused : 1 },
    rssMaxMiB: Math.round(rss / 1048576),
    wallS: Math.round((performance.now() - t0) / 100) / 10,
  };
}
