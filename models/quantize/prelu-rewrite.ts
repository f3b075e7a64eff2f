/**
 * PRelu -> Max(x, s * x): exact, and about 2x cheaper in ONNX Runtime's CPU kernels (its PRelu
 * measured 9 ns/element, Mul + Max together 4; test/bench/quantize.bench.ts). In the int8 model
 * PRelu cannot be fused into an int8 kernel either way, and it dominated the run time.
 *
 * Max(x, s x) equals PRelu only where the slope s <= 1. A channel with s > 1 equals
 * -Max(-x, s (-x)), so its sign is flipped where it is produced (the Conv before: weights and
 * bias of that output channel) and where it is read (the Convs after: weights of that input
 * channel). When the producer or a reader cannot absorb the flip, the PRelu is left alone.
 */
import {
  GraphIndex, allNames, attrInt, dimsOf, floatData, floatTensor, graphOf, intAttr, intsAttr, node, scaleConvInputChannels, uniqueName,
  type ModelProto, type NodeProto, type TensorProto,
} from './onnx-graph.ts';

export interface PreluRewriteReport {
  rewritten: number;
  /** Of those, PRelus with slopes > 1 whose channel signs were folded into neighbouring Convs. */
  signFolded: number;
  /** PRelus whose slopes > 1 were clamped to 1 (see PreluRewriteOptions.clampTolerance). */
  clamped: { node: string; maxSlope: number }[];
  kept: { node: string; reason: string }[];
}

function replaceInit(g: NonNullable<ModelProto['graph']>, old: TensorProto, data: Float32Array): void {
  const t = floatTensor(old.name!, dimsOf(old), data);
  g.initializer = (g.initializer ?? []).map((x) => (x === old ? t : x));
}

export interface PreluRewriteOptions {
  /**
   * Write s * x as a 1x1 depthwise Conv (weights s) instead of a Mul, where x is NCHW. Same
   * result in float; in the int8 model it quantises into QLinearConv with per-channel int8
   * slopes, so the whole PRelu runs on uint8 (a Mul would need one scale for all slopes).
   */
  slopeAsConv?: boolean;
  /**
   * Where signs cannot be folded (the PRelu feeds a MaxPool, say), slopes up to 1 + tolerance are
   * clamped to 1 so the Max form still applies. Approximate (off by (s - 1) |x| on that channel's
   * negative side), so only for int8 builds, where it is far below the quantisation error; 0 = exact.
   */
  clampTolerance?: number;
}

export function rewritePrelu(model: ModelProto, opts: PreluRewriteOptions = {}): PreluRewriteReport {
  const g = graphOf(model);
  const used = allNames(g);
  const report: PreluRewriteReport = { rewritten: 0, signFolded: 0, clamped: [], kept: [] };
  const replaced = new Map<NodeProto, NodeProto[]>();
  for (const n of [...(g.node ?? [])]) {
    if (n.opType !== 'PRelu') continue;
    const idx = new GraphIndex(g); // weights may have changed in an earlier fold
    const [x, sName] = n.input!;
    const y = n.output![0];
    const key = n.name || y;
    const st = idx.inits.get(sName);
    if (!st) {
      report.kept.push({ node: key, reason: 'slope is not a constant' });
      continue;
    }
    let s = floatData(st);
    let slopeName = sName;
    const flip = s.map((v) => (v > 1 ? -1 : 1));
    const needFlip = flip.some((v) => v < 0);
    if (needFlip) {
      const why = foldSigns(g, idx, x, y, flip);
      const maxSlope = Math.max(...s);
      if (why && maxSlope <= 1 + (opts.clampTolerance ?? 0)) {
        s = s.map((v) => Math.min(v, 1));
        slopeName = uniqueName(used, `${sName}_clamped`);
        g.initializer = [...(g.initializer ?? []), floatTensor(slopeName, dimsOf(st), s)];
        report.clamped.push({ node: key, maxSlope });
      } else if (why) {
        report.kept.push({ node: key, reason: why });
        continue;
      } else {
        report.signFolded++;
      }
    }
    const xs = uniqueName(used, `${y}_slope_mul`);
    const sd = dimsOf(st);
    const asConv = opts.slopeAsConv && sd.length === 3 && sd[1] === 1 && sd[2] === 1;
    let scale: NodeProto;
    if (asConv) {
      const w = uniqueName(used, `${sName}_dw`);
      g.initializer = [...(g.initializer ?? []), floatTensor(w, [sd[0], 1, 1, 1], s)];
      scale = node('Conv', [x, w], [xs], uniqueName(used, `${key}_SlopeConv`), [intAttr('group', sd[0]), intsAttr('kernel_shape', [1, 1])]);
    } else {
      scale = node('Mul', [x, slopeName], [xs], uniqueName(used, `${key}_Mul`));
    }
    replaced.set(n, [scale, node('Max', [x, xs], [y], uniqueName(used, `${key}_Max`))]);
    report.rewritten++;
  }
  g.node = (g.node ?? []).flatMap((n) => replaced.get(n) ?? [n]);
  // Slopes now held by the slope Convs' weights are dropped when nothing else reads them.
  const read = new Set((g.node ?? []).flatMap((n) => n.input ?? []));
  g.initializer = (g.initializer ?? []).filter((t) => read.has(t.name!) || (g.output ?? []).some((o) => o.name === t.name));
  return report;
}

/**
 * Negates channel c (flip[c] = -1) of `x` at its producer and of `y` at its readers. Returns
 * why it cannot, or null when done. Nothing is changed unless every part can be changed.
 */
function foldSigns(g: NonNullable<ModelProto['graph']>, idx: GraphIndex, x: string, y: string, flip: Float32Array): string | null {
  const prod = idx.producer.get(x);
  if (!prod || prod.opType !== 'Conv') return 'slope > 1 and the input is not produced by a Conv';
  if ((idx.consumers.get(x) ?? []).length !== 1 || idx.graphOutputs.has(x)) return 'slope > 1 and the Conv output has other readers';
  const readers = idx.consumers.get(y) ?? [];
  if (idx.graphOutputs.has(y) || !readers.length) return 'slope > 1 and the output leaves the graph';
  const w = idx.inits.get(prod.input![1]);
  const b = prod.input![2] ? idx.inits.get(prod.input![2]) : undefined;
  if (!w || (prod.input![2] && !b)) return 'slope > 1 and the producing Conv has non-constant weights';
  const C = flip.length;
  if (dimsOf(w)[0] !== C) return `slope has ${C} channels, the Conv ${dimsOf(w)[0]}`;
  const shared = (t: TensorProto) => (idx.consumers.get(t.name!) ?? []).length > 1;
  const edits: { t: TensorProto; data: Float32Array }[] = [];
  for (const r of readers) {
    if (r.opType !== 'Conv' || r.input![0] !== y) return `slope > 1 and the output is read by ${r.opType}`;
    const rw = idx.inits.get(r.input![1]);
    if (!rw || shared(rw)) return 'slope > 1 and a reading Conv has shared or non-constant weights';
    const d = dimsOf(rw);
    const group = attrInt(r, 'group', 1);
    const inPer = d[1];
    if (inPer * group !== C) return 'slope > 1 and a reading Conv has an unexpected channel count';
    const data = floatData(rw);
    scaleConvInputChannels(data, d, group, (c) => (flip[c] > 0 ? 1 : -1));
    edits.push({ t: rw, data });
  }
  if (shared(w) || (b && shared(b))) return 'slope > 1 and the producing Conv shares its weights';
  const wd = floatData(w);
  const per = wd.length / C;
  for (let c = 0; c < C; c++) if (flip[c] < 0) for (let k = 0; k < per; k++) wd[c * per + k] = -wd[c * per + k];
  edits.push({ t: w, data: wd });
  if (b) {
    const bd = floatData(b);
    for (let c = 0; c < C; c++) bd[c] *= flip[c];
    edits.push({ t: b, data: bd });
  }
  for (const e of edits) replaceInit(g, e.t, e.data);
  // Slopes of flipped channels stay as they are: -Max(-x, s(-x)) with -x now produced directly.
  return null;
}
