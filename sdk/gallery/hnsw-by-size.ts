/**
 * HNSW parameters by gallery size, from measured points (test/bench/gallery.ts, BENCHMARKS.md
 * "HNSW parameters by gallery size"). A graph's degree M and efConstruction are fixed when it is
 * built; its beams (ef) can change on a live index. So:
 * - the build parameters come from the band the size falls in (a band starts at a measured size);
 * - the beams come from the points measured with the graph's own M, interpolated linearly in
 *   log(size) between them, and follow the size as the gallery grows or shrinks.
 * Explicit values (Gallery.open's `hnsw` option) win field by field over the automatic choice.
 * Dimension is not an input: at 100k the 704-d fused embedder (graph over its 256-d subspace)
 * reached recall@1 1.000 with the same beams as MobileFaceNet-192 (64-d subspace).
 */
import { FaceGateError } from '../errors.ts';
import type { HnswParams } from './hnsw-index.ts';

/** Build parameters from `from` templates upward (until the next band). */
export interface HnswBand {
  from: number;
  m: number;
  efConstruction: number;
}

/** Beams measured for a graph of degree `m` holding `size` templates. */
export interface HnswBeamPoint {
  size: number;
  m: number;
  /** Narrow beam of a threshold search: the smallest measured to reach `recall` (recall@1). */
  efFirst: number;
  /** Wide beam: searches without a threshold, and the fallback when nobody is within it. */
  ef: number;
  /** recall@1 the narrow beam reached (documentation; the table's own evidence). */
  recall: number;
}

export interface HnswSizeTable {
  /** Ascending by `from`; the first starts at 0. */
  bands: readonly HnswBand[];
  /** Ascending by size within each M. */
  beams: readonly HnswBeamPoint[];
}

/** Beams are rounded up to a multiple of this, and never exceed EF_MAX when extrapolated. */
const EF_STEP = 8;
export const EF_MAX = 1024;

/**
 * Measured on `--structure lfw --project` vectors (MobileFaceNet-192's lfw-dev covariance, graph
 * over its 64-d principal subspace), probes at genuine distance 0.8, 1,000 probes, efConstruction
 * 200. recall@1 >= 0.999 is the target of each row; where M=32 could not reach it (1M) the row
 * says what it reached. Figures and commands: BENCHMARKS.md.
 */
export const HNSW_SIZE_TABLE: HnswSizeTable = {
  bands: [
    { from: 0, m: 32, efConstruction: 200 },
    // 100k: M=48 reached 0.999 at ef 64 in 0.40 ms where M=32 needed the 64 -> 128 pair (0.54 ms);
    // 1M: M=48 0.999 at ef 288 (1.96 ms), M=32 at most 0.994 (ef 384, 3.8 ms).
    { from: 100_000, m: 48, efConstruction: 200 },
  ],
  beams: [
    { size: 10_000, m: 32, efFirst: 24, ef: 48, recall: 1 },
    { size: 100_000, m: 32, efFirst: 64, ef: 128, recall: 0.999 },
    { size: 1_000_000, m: 32, efFirst: 384, ef: 384, recall: 0.994 },
    { size: 10_000, m: 48, efFirst: 16, ef: 32, recall: 1 },
    { size: 100_000, m: 48, efFirst: 64, ef: 128, recall: 0.999 },
    { size: 1_000_000, m: 48, efFirst: 288, ef: 384, recall: 0.999 },
  ],
};

export interface HnswBuild {
  m: number;
  efConstruction: number;
}

export interface HnswBeams {
  ef: number;
  efFirst: number;
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 0) throw new FaceGateError('FG_INPUT_INVALID', `gallery size must be a non-negative integer, got ${size}`);
}

/** The band's build parameters for a gallery of `size` templates. */
export function hnswBuildForSize(size: number, table: HnswSizeTable = HNSW_SIZE_TABLE): HnswBuild {
  checkSize(size);
  let band = table.bands[0];
  for (const b of table.bands) if (b.from <= size) band = b;
  return { m: band.m, efConstruction: band.efConstruction };
}

const roundUp = (x: number) => Math.ceil(x / EF_STEP - 1e-9) * EF_STEP;

/**
 * Beams for a graph of degree `m` holding `size` templates. The points of the largest tabled M
 * not above `m` are used (the smallest tabled M for a sparser graph: its beams are then too narrow,
 * which an explicit ef corrects). Between points: linear in log(size); below the first: the
 * first; above the last: the last segment's slope continued, up to EF_MAX.
 */
export function hnswBeamsForSize(size: number, m: number, table: HnswSizeTable = HNSW_SIZE_TABLE): HnswBeams {
  checkSize(size);
  const ms = [...new Set(table.beams.map((p) => p.m))].sort((a, b) => a - b);
  const useM = ms.filter((x) => x <= m).pop() ?? ms[0];
  const pts = table.beams.filter((p) => p.m === useM);
  const at = (pick: (p: HnswBeamPoint) => number): number => {
    if (pts.length === 1 || size <= pts[0].size) return pick(pts[0]);
    let i = pts.findIndex((p) => p.size >= size);
    if (i < 0) i = pts.length - 1; // beyond the last point: extrapolate its segment
    const a = pts[i - 1];
    const b = pts[i];
    const t = (Math.log(size) - Math.log(a.size)) / (Math.log(b.size) - Math.log(a.size));
    return Math.min(EF_MAX, Math.max(pick(a), pick(a) + t * (pick(b) - pick(a))));
  };
  const efFirst = roundUp(at((p) => p.efFirst));
  const ef = Math.max(efFirst, roundUp(at((p) => p.ef)));
  return { ef, efFirst };
}

/** Build parameters and beams for a gallery of `size` templates (a graph built for that size). */
export function hnswParamsForSize(size: number, table: HnswSizeTable = HNSW_SIZE_TABLE): HnswBuild & HnswBeams {
  const build = hnswBuildForSize(size, table);
  return { ...build, ...hnswBeamsForSize(size, build.m, table) };
}

/** Fields of HnswParams a caller set explicitly; the rest follow the size. */
export type ExplicitHnsw = Partial<HnswParams>;

/** Fields that are not about graph size (seed, projection) when the caller left them out. */
export const HNSW_FIXED_DEFAULTS = { seed: 100, project: true } as const;

/**
 * What a new graph for `size` templates is built with. `current`: the degree of the graph being
 * replaced; M never falls below it (a gallery hovering at a band's edge is not rebuilt back and
 * forth; a larger M only costs memory). Explicit fields win.
 */
export function hnswBuildParams(size: number, explicit: ExplicitHnsw, current: HnswBuild | null, table: HnswSizeTable = HNSW_SIZE_TABLE): HnswParams {
  const band = hnswBuildForSize(size, table);
  const m = explicit.m ?? Math.max(band.m, current?.m ?? 0);
  const efConstruction = explicit.efConstruction ?? Math.max(band.efConstruction, current?.efConstruction ?? 0);
  return { ...HNSW_FIXED_DEFAULTS, ...explicit, m, efConstruction, ...hnswServingBeams(size, m, explicit, table) };
}

/** Beams for a graph of degree `m` serving `size` templates; explicit ef / efFirst win. */
export function hnswServingBeams(size: number, m: number, explicit: ExplicitHnsw, table: HnswSizeTable = HNSW_SIZE_TABLE): HnswBeams {
  const auto = hnswBeamsForSize(size, m, table);
  const ef = explicit.ef ?? Math.max(auto.ef, explicit.efFirst ?? 0);
  return { ef, efFirst: explicit.efFirst ?? Math.min(auto.efFirst, ef) };
}

/**
 * Why a graph built with `built` should be rebuilt for `size` templates, or null: an explicit M or
 * efConstruction it was not built with, or (automatic) a band that needs a larger one.
 */
export function hnswRebuildReason(size: number, built: HnswBuild, explicit: ExplicitHnsw, table: HnswSizeTable = HNSW_SIZE_TABLE): string | null {
  if (explicit.m !== undefined && explicit.m !== built.m) return `graph built with M ${built.m}, configured ${explicit.m}`;
  if (explicit.efConstruction !== undefined && explicit.efConstruction !== built.efConstruction) {
    return `graph built with efConstruction ${built.efConstruction}, configured ${explicit.efConstruction}`;
  }
  const band = hnswBuildForSize(size, table);
  if (explicit.m === undefined && built.m < band.m) return `${size} templates need M ${band.m} (graph built with ${built.m})`;
  if (explicit.efConstruction === undefined && built.efConstruction < band.efConstruction) {
    return `${size} templates need efConstruction ${band.efConstruction} (graph built with ${built.efConstruction})`;
  }
  return null;
}

/** Checks a caller's table: bands from 0 ascending, beams positive, each M's points ascending by size. */
export function checkHnswSizeTable(table: HnswSizeTable): HnswSizeTable {
  const bad = (why: string) => new FaceGateError('FG_CONFIG_INVALID', `HNSW size table: ${why}`);
  if (table.bands.length === 0 || table.bands[0].from !== 0) throw bad('the first band must start at 0');
  for (let i = 1; i < table.bands.length; i++) if (!(table.bands[i].from > table.bands[i - 1].from)) throw bad('bands must ascend by `from`');
  for (const b of table.bands) if (!(Number.isInteger(b.m) && b.m >= 2 && Number.isInteger(b.efConstruction) && b.efConstruction >= 1)) throw bad(`band from ${b.from}: M and efConstruction must be positive integers`);
  if (table.beams.length === 0) throw bad('no beam points');
  for (const p of table.beams) {
    if (!(p.size > 0 && Number.isInteger(p.efFirst) && p.efFirst >= 1 && Number.isInteger(p.ef) && p.ef >= 1)) throw bad(`beam point M ${p.m} at ${p.size}: sizes and beams must be positive`);
  }
  for (const m of new Set(table.beams.map((p) => p.m))) {
    const pts = table.beams.filter((p) => p.m === m);
    for (let i = 1; i < pts.length; i++) if (!(pts[i].size > pts[i - 1].size)) throw bad(`beam points of M ${m} must ascend by size`);
  }
  return table;
}
