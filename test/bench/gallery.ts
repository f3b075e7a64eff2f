/**
 * Gallery benchmark on synthetic 192-d embeddings with identity structure: random unit centres,
 * two templates per identity (centre + noise at a genuine distance of ~0.8 between two images of
 * a person), probes = a fresh template of an enrolled person.
 *
 *   node --import tsx test/bench/gallery.ts [--sizes 10000,100000] [--ef 16,32,64,128,256]
 *        [--m 16,32] [--queries 500] [--cutoff] [--no-gallery] [--gallery-only] [--sync-replace]
 *        [--structure isotropic|lfw] [--genuine 0.8] [--project]
 *        [--escalate-ef 384 --escalate-above 0.93] [--ef-construction 200] [--index-cache DIR]
 *        [--dim 192] [--auto [--threshold 0.93]] [--json out.json]
 *
 * Per size (each in its own process, so RSS is the size's own): exact search (the recall
 * reference), raw HNSW bulk insert per M, recall@1 and query p50/p99 per ef, index file write and
 * load; then the Gallery end to end: replaceAllAsync into SQLite (bulk worker; --sync-replace:
 * the blocking replaceAll) with searches every 50 ms, worker build, reopen from the index file,
 * search p50/p99, RSS. A 10 ms timer measures the longest event-loop stall during the replace and
 * during the build, beside the longest GC pause. `--gallery-only` skips the raw index parts.
 * `--cutoff` compares exact and HNSW query time at small sizes (the exact-search cut-off).
 * Query times are reported as wall and CPU time (see timeQueries).
 * `--index-cache DIR` keeps each built graph (and the exact answers) there, so a 1M graph is
 * built once and later runs only load it and sweep ef.
 * `--dim 704 --structure lfw --structure-file .cache/lfw-structure-fusion.json`: the device's
 * fused embedder (the file from test/bench/embedding-structure.ts on its lfw-dev embeddings).
 * `--auto` builds the graphs the SDK picks for the size (sdk/gallery/hnsw-by-size.ts) and the
 * fixed M 32 one it replaced, and compares their beams: wide beam alone, and narrow then wide
 * with the decision threshold (`--threshold`), on the same probes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';
import { ExactIndex } from '../../sdk/gallery/exact-index.ts';
import { HnswIndex } from '../../sdk/gallery/hnsw-index.ts';
import { ProjectedIndex } from '../../sdk/gallery/projected-index.ts';
import { fitProjection, type Projection } from '../../sdk/gallery/projection.ts';
import { Gallery } from '../../sdk/gallery/gallery.ts';
import { hnswParamsForSize } from '../../sdk/gallery/hnsw-by-size.ts';
import { silentLogger } from '../../sdk/logger.ts';
import { syntheticPeople, structuredPeople, euclidean, type EmbeddingStructure, type SyntheticPeople } from '../unit/gallery/synthetic.ts';

const SELF = fileURLToPath(import.meta.url);

function arg(name: string, dflt?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
/** Template dimension: 192 (MobileFaceNet); 704 is the device's fused embedder (with --structure lfw, a structure file of that dimension). */
const DIM = Number(arg('dim', '192'));
const flag = (name: string) => process.argv.includes(`--${name}`);
const list = (s: string) => s.split(',').map(Number);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/**
 * Per-query wall time and CPU time (process.cpuUsage: time actually on a core). On a machine
 * shared with other jobs the wall time includes waiting for a core; CPU time approximates what an
 * idle core would give.
 */
function timeQueries(n: number, run: (i: number) => void): { p50: number; p99: number; cpu_p50: number; cpu_p99: number } {
  for (let i = 0; i < Math.min(50, n); i++) run(i); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run(i);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const r = (x: number) => +x.toFixed(4);
  return { p50: r(pct(wall, 0.5)), p99: r(pct(wall, 0.99)), cpu_p50: r(pct(cpu, 0.5)), cpu_p99: r(pct(cpu, 0.99)) };
}

const rssMb = () => Math.round(process.memoryUsage().rss / 2 ** 20);

interface Data {
  labels: number[];
  vectors: Float32Array[];
  owner: number[];
  probes: Float32Array[];
  probeOwner: number[];
}

/**
 * `--structure isotropic` (default): random unit centres, the hardest case for a graph index.
 * `--structure lfw`: people drawn with the covariance measured on real MobileFaceNet embeddings of
 * lfw-dev (file from test/bench/embedding-structure.ts, `--structure-file`), which reproduces the
 * real impostor and genuine distance distributions. `--genuine` sets the mean distance between
 * two images of a person (0.8; lfw-dev measures 0.725).
 */
function makePeople(n: number, seed: number): SyntheticPeople {
  const genuine = Number(arg('genuine', '0.8'));
  const kind = arg('structure', 'isotropic');
  if (kind === 'isotropic') return syntheticPeople(n, DIM, seed, genuine);
  if (kind !== 'lfw') throw new Error(`--structure: isotropic or lfw, not ${kind}`);
  const file = arg('structure-file', fileURLToPath(new URL('../../.cache/lfw-structure.json', import.meta.url)))!;
  const s = JSON.parse(readFileSync(file, 'utf8')) as EmbeddingStructure;
  if (s.dim !== DIM) throw new Error(`${file}: dim ${s.dim}, the bench uses ${DIM}`);
  return structuredPeople(n, s, seed, genuine);
}

function makeData(n: number, queries: number, seed: number): Data {
  const people = makePeople(Math.ceil(n / 2), seed);
  const vectors: Float32Array[] = [];
  const owner: number[] = [];
  for (let i = 0; vectors.length < n; i++) {
    vectors.push(people.sample(i));
    owner.push(i);
    if (vectors.length < n) {
      vectors.push(people.sample(i));
      owner.push(i);
    }
  }
  const probes: Float32Array[] = [];
  const probeOwner: number[] = [];
  for (let q = 0; q < queries; q++) {
    const who = Math.floor((q * 7919) % people.centres.length);
    probes.push(people.sample(who));
    probeOwner.push(who);
  }
  return { labels: vectors.map((_, i) => i + 1), vectors, owner, probes, probeOwner };
}

/**
 * recall@1: the index's nearest template is the exact one. identity recall: it belongs to the
 * exact nearest template's person (what a decision sees). Misses: how much farther the answer was.
 */
function recallOf(top: { label: number; distance: number }[], truth: number[], truthDist: number[], d: Data): Record<string, number> {
  let hits = 0;
  let idHits = 0;
  const ratio: number[] = [];
  top.forEach((h, q) => {
    if (h.label === truth[q]) hits++;
    else ratio.push(h.distance / truthDist[q]);
    if (d.owner[h.label - 1] === d.owner[truth[q] - 1]) idHits++;
  });
  ratio.sort((a, b) => a - b);
  const r = (x: number) => +x.toFixed(4);
  return { recall_at_1: r(hits / top.length), identity_recall_at_1: r(idHits / top.length), miss_distance_ratio_p50: ratio.length ? r(pct(ratio, 0.5)) : 1 };
}

async function benchSize(n: number): Promise<Record<string, unknown>> {
  const queries = Number(arg('queries', n >= 1_000_000 ? '200' : '500'));
  const efs = list(arg('ef', '32,64,128,192,256')!);
  const ms = list(arg('m', '16,32')!);
  const out: Record<string, unknown> = { size: n, dim: DIM, structure: arg('structure', 'isotropic'), queries, cpus: cpus().length, loadavg_start: loadavg().map((x) => +x.toFixed(2)) };
  const t0 = performance.now();
  const d = makeData(n, queries, 42);
  out.data_ms = Math.round(performance.now() - t0);
  // realised genuine distance (probe to its nearest own template) and impostor distance, a sample
  const gen: number[] = [];
  const imp: number[] = [];
  for (let q = 0; q < Math.min(200, queries); q++) {
    gen.push(euclidean(d.probes[q], d.vectors[2 * d.probeOwner[q]]));
    imp.push(euclidean(d.probes[q], d.vectors[(2 * d.probeOwner[q] + 2 + 2 * q) % n]));
  }
  out.genuine_distance_mean = +(gen.reduce((a, b) => a + b, 0) / gen.length).toFixed(3);
  out.impostor_distance_mean = +(imp.reduce((a, b) => a + b, 0) / imp.length).toFixed(3);

  // exact: the recall reference. Computed when first needed (after a build: two builds run side by
  // side share one computation through --index-cache) and kept there for the next run.
  const escalateEf = Number(arg('escalate-ef', '0'));
  const escalateAbove = Number(arg('escalate-above', '1.0'));
  const cacheDir = arg('index-cache');
  const structure = arg('structure', 'isotropic');
  const truthFile = cacheDir ? join(cacheDir, `truth-${structure}-${n}-q${queries}-g${arg('genuine', '0.8')}.json`) : '';
  let truth: number[] = [];
  let truthDist: number[] = [];
  const exactTruth = (): void => {
    if (truth.length) return;
    if (truthFile && existsSync(truthFile)) {
      const t = JSON.parse(readFileSync(truthFile, 'utf8')) as { truth: number[]; truthDist: number[]; exact: Record<string, number> };
      ({ truth, truthDist } = t);
      out.exact = { ...t.exact, from: truthFile };
    } else {
      const ex = new ExactIndex(DIM, n);
      for (let i = 0; i < n; i++) ex.add(d.labels[i], d.vectors[i]);
      const exactTop = d.probes.map((p) => ex.search(p, 1)[0]);
      truth = exactTop.map((h) => h.label);
      truthDist = exactTop.map((h) => h.distance);
      const exactQueries = Math.min(queries, n >= 1_000_000 ? 20 : 200);
      // identity_top1 below 1: exact search itself ranks another person's template first
      out.exact = { ...timeQueries(exactQueries, (i) => ex.search(d.probes[i], 16)), identity_top1: +(truth.filter((l, q) => d.owner[l - 1] === d.probeOwner[q]).length / queries).toFixed(4) };
      if (truthFile) writeFileSync(truthFile, JSON.stringify({ truth, truthDist, exact: out.exact }));
    }
    console.error(`[${n}] exact`, out.exact);
  };
  if (!cacheDir) exactTruth();

  const dir = mkdtempSync(join(tmpdir(), 'fg-bench-'));
  try {
    if (flag('gallery-only')) {
      out.gallery = await benchGallery(n, d, dir, queries);
      out.loadavg_end = loadavg().map((x) => +x.toFixed(2));
      return out;
    }
    const hnsw: Record<string, unknown>[] = [];
    // --project: the graph over the templates' principal subspace (sdk/gallery/projection.ts)
    let projection: Projection | null = null;
    if (flag('project')) {
      const tp = performance.now();
      const flat = new Float32Array(n * DIM);
      d.vectors.forEach((v, i) => flat.set(v, i * DIM));
      projection = fitProjection(flat, n, DIM);
      out.projection = projection ? { rank: projection.rank, residual_share: projection.residualShare, fit_ms: Math.round(performance.now() - tp) } : 'none (no low-rank subspace)';
      console.error(`[${n}] projection`, out.projection);
    }
    // --auto: the SDK's parameters for this size (sdk/gallery/hnsw-by-size.ts) against the fixed
    // ones they replaced (M 32, efConstruction 200, beams 64 -> 128), on the same probes
    const configs = flag('auto') ? [{ name: 'fixed', m: 32, efConstruction: 200, efFirst: 64, ef: 128 }, { name: 'auto', ...hnswParamsForSize(n) }] : [];
    const threshold = Number(arg('threshold', '0.93'));
    const graphs = configs.length ? [...new Map(configs.map((c) => [`${c.m}/${c.efConstruction}`, { m: c.m, efc: c.efConstruction }])).values()]
      : ms.map((m) => ({ m, efc: Number(arg('ef-construction', '200')) }));
    const compare: Record<string, unknown>[] = [];
    for (const { m, efc } of graphs) {
      const params = { m, efConstruction: efc, ef: 128, seed: 100 };
      // --index-cache DIR: a graph built once is kept there and loaded by later runs (a 1M build
      // takes ~50 CPU-minutes); the figures of its build travel in a sidecar
      const cached = cacheDir ? join(cacheDir, `hnsw-${structure}-${n}-m${m}-efc${efc}-${projection ? `p${projection.rank}` : 'full'}.bin`) : '';
      let ix: HnswIndex | ProjectedIndex;
      let buildS: number;
      let buildCpuS: number;
      let cacheLoad: Record<string, number> | undefined;
      if (cached && existsSync(cached)) {
        const built = JSON.parse(readFileSync(`${cached}.json`, 'utf8')) as { insert_s: number; insert_cpu_s: number };
        ({ insert_s: buildS, insert_cpu_s: buildCpuS } = built);
        const rss0 = rssMb();
        const tl = performance.now();
        const cl = process.cpuUsage();
        ix = (projection ? await ProjectedIndex.load(cached, projection, params, new Set(d.labels)) : await HnswIndex.load(cached, DIM, params, new Set(d.labels))).index;
        const lc = process.cpuUsage(cl);
        cacheLoad = { load_ms: Math.round(performance.now() - tl), load_cpu_ms: Math.round((lc.user + lc.system) / 1000), rss_before_mb: rss0, rss_after_mb: rssMb() };
        console.error(`[${n}] M=${m} loaded ${cached}`, JSON.stringify(cacheLoad));
      } else {
        const tb = performance.now();
        const cb = process.cpuUsage();
        ix = projection ? ProjectedIndex.create(projection, params, n) : HnswIndex.create(DIM, params, n);
        for (let i = 0; i < n; i++) {
          ix.add(d.labels[i], d.vectors[i]);
          if ((i + 1) % 100_000 === 0) console.error(`[${n}] M=${m} inserted ${i + 1} (${Math.round((performance.now() - tb) / 1000)} s)`);
        }
        buildS = (performance.now() - tb) / 1000;
        const buildCpu = process.cpuUsage(cb);
        buildCpuS = (buildCpu.user + buildCpu.system) / 1e6;
        if (cached) {
          ix.writeSync(cached);
          writeFileSync(`${cached}.json`, JSON.stringify({ insert_s: +buildS.toFixed(1), insert_cpu_s: +buildCpuS.toFixed(1) }));
        }
      }
      exactTruth();
      const perEf: Record<string, unknown>[] = [];
      for (const ef of efs) {
        ix.ef = ef;
        const tq = timeQueries(queries, (i) => { ix.search(d.probes[i], 16); });
        const top = d.probes.map((p) => ix.search(p, 16)[0]);
        if (projection) {
          // the reported distance is an upper bound of the true one: how loose, on the hits
          const slack: number[] = [];
          top.forEach((h, q) => { if (h.label === truth[q]) slack.push(h.distance - truthDist[q]); });
          Object.assign(tq, { bound_slack_max: slack.length ? +Math.max(...slack).toExponential(2) : 0, bound_below_true: slack.filter((x) => x < -1e-6).length });
        }
        perEf.push({ ef, ...recallOf(top, truth, truthDist, d), ...tq });
        if (escalateEf) {
          // A first answer with nothing within the threshold is searched again with a wider beam:
          // what Gallery.search does when given the decision threshold.
          const twoStep = (p: Float32Array) => {
            ix.ef = ef;
            const r = ix.search(p, 16);
            if (r[0].distance <= escalateAbove) return r[0];
            ix.ef = escalateEf;
            return ix.search(p, 16)[0];
          };
          const te = timeQueries(queries, (i) => { twoStep(d.probes[i]); });
          const topE = d.probes.map(twoStep);
          const escalated = d.probes.filter((p) => { ix.ef = ef; return ix.search(p, 16)[0].distance > escalateAbove; }).length;
          Object.assign(perEf[perEf.length - 1], { escalated: { ef: escalateEf, above: escalateAbove, share: +(escalated / queries).toFixed(4), ...recallOf(topE, truth, truthDist, d), ...te } });
        }
        console.error(`[${n}] M=${m} ef=${ef}`, JSON.stringify(perEf[perEf.length - 1]));
      }
      for (const c of configs.filter((x) => x.m === m && x.efConstruction === efc)) {
        ix.ef = c.ef;
        const single = timeQueries(queries, (i) => { ix.search(d.probes[i], 16); });
        const topSingle = d.probes.map((p) => ix.search(p, 16)[0]);
        // what Gallery.search does given the decision threshold: narrow beam, then the wide one
        let widened = 0;
        const twoStep = (p: Float32Array, count: boolean) => {
          ix.ef = c.efFirst;
          const r = ix.search(p, 16);
          if (r[0].distance <= threshold) return r[0];
          if (count) widened++;
          ix.ef = c.ef;
          return ix.search(p, 16)[0];
        };
        const stepped = timeQueries(queries, (i) => { twoStep(d.probes[i], false); });
        const topStepped = d.probes.map((p) => twoStep(p, true));
        const row = { name: c.name, m: c.m, efConstruction: c.efConstruction, efFirst: c.efFirst, ef: c.ef, wide_only: { ...recallOf(topSingle, truth, truthDist, d), ...single },
          with_threshold: { threshold, widened: +(widened / queries).toFixed(4), ...recallOf(topStepped, truth, truthDist, d), ...stepped } };
        compare.push(row);
        console.error(`[${n}] ${c.name}`, JSON.stringify(row));
      }
      const file = join(dir, `m${m}.bin`);
      const tw = performance.now();
      ix.writeSync(file);
      const writeMs = performance.now() - tw;
      const tl = performance.now();
      const cl = process.cpuUsage();
      const loaded = projection ? await ProjectedIndex.load(file, projection, params, new Set(d.labels)) : await HnswIndex.load(file, DIM, params, new Set(d.labels));
      const loadMs = performance.now() - tl;
      const lc = process.cpuUsage(cl);
      loaded.index.ef = 128;
      let hits = 0;
      for (let i = 0; i < queries; i++) if (loaded.index.search(d.probes[i], 16)[0].label === truth[i]) hits++;
      hnsw.push({ m, efConstruction: efc, cache_load: cacheLoad, insert_s: +buildS.toFixed(1), insert_cpu_s: +buildCpuS.toFixed(1), inserts_per_cpu_s: Math.round(n / buildCpuS), file_mb: +(statSync(file).size / 2 ** 20).toFixed(1),
        write_ms: Math.round(writeMs), load_ms: Math.round(loadMs), load_cpu_ms: Math.round((lc.user + lc.system) / 1000), recall_after_load_ef128: +(hits / queries).toFixed(4), rss_mb: rssMb(), ef: perEf });
      rmSync(file);
    }
    out.hnsw = hnsw;
    if (compare.length) out.compare = compare;

    if (!flag('no-gallery')) out.gallery = await benchGallery(n, d, dir, queries);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  out.rss_mb = rssMb();
  out.loadavg_end = loadavg().map((x) => +x.toFixed(2));
  return out;
}

/** Largest event-loop gap (10 ms timer lateness) and longest GC pause since the last take(). */
function stallProbe(): { take(): { maxGap: number; gcMax: number; gcKind: string }; stop(): void } {
  let maxGap = 0;
  let gcMax = 0;
  let gcKind = '';
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last - 10);
    last = now;
  }, 10);
  const kinds: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'major', 8: 'incremental', 16: 'weak-callbacks' };
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration <= gcMax) continue;
      gcMax = e.duration;
      gcKind = kinds[(e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  return {
    take() {
      const r = { maxGap: Math.round(maxGap), gcMax: Math.round(gcMax), gcKind };
      maxGap = 0;
      gcMax = 0;
      gcKind = '';
      last = performance.now();
      return r;
    },
    stop() {
      clearInterval(timer);
      gc.disconnect();
    },
  };
}

/** The Gallery end to end at the default parameters. */
async function benchGallery(n: number, d: Data, dir: string, queries: number): Promise<Record<string, unknown>> {
  const gdir = join(dir, 'gallery');
  // debug lines (the build's phase timings) go to stderr
  const logger = { ...silentLogger, debug: (msg: string, fields?: Record<string, unknown>) => console.error(`[${n}] ${msg}`, JSON.stringify(fields)) };
  const g = await Gallery.open(gdir, { modelId: `bench-${DIM}`, dim: DIM, create: true, centres: false, logger });
  const snapshot: { identity: { id: string }; templates: Float32Array[] }[] = [];
  for (let i = 0; i < n; i++) {
    const id = `p${d.owner[i]}`;
    if (snapshot.length && snapshot[snapshot.length - 1].identity.id === id) snapshot[snapshot.length - 1].templates.push(d.vectors[i]);
    else snapshot.push({ identity: { id }, templates: [d.vectors[i]] });
  }
  // A frame loop stand-in: a 10 ms timer; its largest lateness is the longest the event loop was
  // blocked. Major GC pauses are recorded beside it (they stall the loop too).
  const probe = stallProbe();
  const syncReplace = flag('sync-replace');
  const ts = performance.now();
  if (syncReplace) g.replaceAll(snapshot, 1);
  else {
    // searches keep answering (from the old gallery) while the replacement runs
    let searches = 0;
    const q = setInterval(() => { g.search(d.probes[searches++ % d.probes.length], 5); }, 50);
    try {
      await g.replaceAllAsync(snapshot, 1);
    } finally {
      clearInterval(q);
    }
  }
  const sqliteMs = performance.now() - ts;
  await new Promise((resolve) => setTimeout(resolve, 20)); // the timer's late tick records a blocking replace
  const replaceStall = probe.take();
  const tb = performance.now();
  const cb = process.cpuUsage();
  await g.whenIdle();
  const buildS = (performance.now() - tb) / 1000;
  const bc = process.cpuUsage(cb);
  const buildStall = probe.take();
  probe.stop();
  const kind = g.stats().index.kind;
  await g.close();
  const to = performance.now();
  const co = process.cpuUsage();
  const g2 = await Gallery.open(gdir);
  const openMs = performance.now() - to;
  const oc = process.cpuUsage(co);
  const st = g2.stats();
  let right = 0;
  const tq = timeQueries(queries, (i) => { g2.search(d.probes[i], 5); });
  for (let i = 0; i < queries; i++) if (g2.search(d.probes[i], 5)[0].identityId === `p${d.probeOwner[i]}`) right++;
  // what the device and `identify` do: search with the decision threshold (narrow beam first)
  const threshold = Number(arg('escalate-above', '0.93'));
  const tt = timeQueries(queries, (i) => { g2.search(d.probes[i], 5, { threshold }); });
  let rightT = 0;
  for (let i = 0; i < queries; i++) if (g2.search(d.probes[i], 5, { threshold })[0].identityId === `p${d.probeOwner[i]}`) rightT++;
  const res = { replace_all: syncReplace ? 'sync' : 'async', replace_all_ms: Math.round(sqliteMs), max_event_loop_gap_ms_during_replace: replaceStall.maxGap, gc_max_ms_during_replace: replaceStall.gcMax, gc_max_kind_during_replace: replaceStall.gcKind,
    worker_build_s: +buildS.toFixed(1), worker_build_cpu_s: +((bc.user + bc.system) / 1e6).toFixed(1), max_event_loop_gap_ms_during_build: buildStall.maxGap, gc_max_ms_during_build: buildStall.gcMax, gc_max_kind_during_build: buildStall.gcKind, index_kind: kind,
    reopen_ms: Math.round(openMs), reopen_cpu_ms: Math.round((oc.user + oc.system) / 1000), reopen_state: st.index.state, projected_dim: st.index.projectedDim, m: st.index.m, ef: st.index.ef, ef_first: st.index.efFirst, search_k5: tq, identity_top1: +(right / queries).toFixed(4),
    search_k5_threshold: { threshold, ...tt }, identity_top1_threshold: +(rightT / queries).toFixed(4), rss_mb: rssMb() };
  console.error(`[${n}] gallery`, res);
  await g2.close();
  return res;
}

/** Exact vs HNSW query time at small sizes: where exact search stops being the better choice. */
async function benchCutoff(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const n of list(arg('cutoff-sizes', '250,500,1000,2000,4000,8000')!)) {
    const d = makeData(n, 300, 7);
    const ex = new ExactIndex(DIM, n);
    const ix = HnswIndex.create(DIM, { m: 16, efConstruction: 200, ef: 128, seed: 100 }, n);
    const tb = performance.now();
    for (let i = 0; i < n; i++) ix.add(d.labels[i], d.vectors[i]);
    const buildMs = performance.now() - tb;
    for (let i = 0; i < n; i++) ex.add(d.labels[i], d.vectors[i]);
    const exactTop = d.probes.map((p) => ex.search(p, 1)[0]);
  const truth = exactTop.map((h) => h.label);
  const truthDist = exactTop.map((h) => h.distance);
  const escalateEf = Number(arg('escalate-ef', '0'));
  const escalateAbove = Number(arg('escalate-above', '1.0'));
    let hits = 0;
    for (let i = 0; i < 300; i++) if (ix.search(d.probes[i], 16)[0].label === truth[i]) hits++;
    const row = { size: n, exact: timeQueries(300, (i) => ex.search(d.probes[i], 16)), hnsw_ef128: timeQueries(300, (i) => ix.search(d.probes[i], 16)),
      hnsw_recall_at_1: +(hits / 300).toFixed(4), hnsw_build_ms: Math.round(buildMs) };
    console.error('[cutoff]', JSON.stringify(row));
    rows.push(row);
  }
  return rows;
}

async function main(): Promise<void> {
  const one = arg('size');
  if (one) {
    process.stdout.write(JSON.stringify(await benchSize(Number(one))) + '\n');
    return;
  }
  const report: Record<string, unknown> = { when: new Date().toISOString(), node: process.version, cpus: cpus().length, note: 'machine shared with other jobs; figures taken under load' };
  if (flag('cutoff')) report.cutoff = await benchCutoff();
  const sizes = list(arg('sizes', flag('cutoff') ? '' : '10000,100000')!).filter((x) => x > 0);
  const passthrough = process.argv.slice(2).filter((a, i, all) => !['--sizes', '--json', '--cutoff'].includes(a) && !['--sizes', '--json'].includes(all[i - 1]));
  const results: unknown[] = [];
  for (const n of sizes) {
    // one process per size: its RSS and heap are its own
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=8192', SELF, '--size', String(n), ...passthrough], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`size ${n} failed (status ${r.status})`);
    results.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
  }
  report.sizes = results;
  const json = JSON.stringify(report, null, 1);
  const outFile = arg('json');
  if (outFile) writeFileSync(outFile, json + '\n');
  process.stdout.write(json + '\n');
}

await main();
