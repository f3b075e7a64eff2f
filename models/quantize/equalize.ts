/**
 * Activation equalisation across layers (after Nagel et al. 2019, "Data-free quantization", using
 * measured activation ranges): activations are quantised with one scale per tensor, so a channel
 * whose values span 1 next to one spanning 100 keeps only a few levels. Between two Convs joined
 * by a positively homogeneous activation (identity, PRelu written as Max(x, s x)) channel c of
 * the first Conv can be multiplied by k_c > 0 and the matching input weights of the second
 * divided by k_c: the float function is unchanged and the channel ranges evened out.
 *
 * Weights are quantised per output channel, so the first Conv's scaling costs nothing; when the
 * second is depthwise (one input channel per output channel) neither does its. A dense second
 * Conv mixes channels in each output row, so there the scaling is only partial (square root).
 */
import { GraphIndex, attrInt, dimsOf, floatData, floatTensor, graphOf, scaleConvInputChannels, type ModelProto, type NodeProto, type TensorProto } from './onnx-graph.ts';

export interface EqualizePair {
  /** Convs whose output channels are scaled (every producer of the group's tensors). */
  producers: string[];
  /** Tensors whose per-channel ranges decide the scaling (all quantised tensors of the group). */
  measured: string[];
  /** Convs reading the group (their input channels are divided). */
  readers: string[];
}

const key = (n: NodeProto) => n.name || `${n.opType}:${n.output?.[0]}`;

/**
 * Groups of tensors that must share one channel scaling, grown from each Conv output: through
 * PRelu written as Mul(x, s) + Max(x, x s) (positively homogeneous) and residual Adds (both
 * inputs scaled alike). A group is kept when every tensor in it is produced by a Conv, an Add or
 * such a Max, and read only by Convs (const, unshared weights), Adds or PRelu pairs of the group.
 */
export function findEqualizePairs(model: ModelProto): EqualizePair[] {
  const g = graphOf(model);
  const idx = new GraphIndex(g);
  const shared = (t: string) => (idx.consumers.get(t) ?? []).length > 1;
  const constConv = (n: NodeProto) => n.opType === 'Conv' && idx.inits.has(n.input![1]) && !shared(n.input![1])
    && (!n.input![2] || (idx.inits.has(n.input![2]) && !shared(n.input![2])));
  /** The Max of a PRelu pair reading `x`, with its slope Mul (or 1x1 depthwise slope Conv). */
  const isSlope = (n: NodeProto, x: string) => n.input![0] === x && idx.inits.has(n.input![1])
    && (n.opType === 'Mul' || (n.opType === 'Conv' && !n.input![2] && dimsOf(idx.inits.get(n.input![1])!).slice(1).every((d) => d === 1)
      && attrInt(n, 'group', 1) === dimsOf(idx.inits.get(n.input![1])!)[0]));
  const preluOf = (x: string): { mul: NodeProto; max: NodeProto } | null => {
    const c = idx.consumers.get(x) ?? [];
    const mul = c.find((n) => isSlope(n, x));
    const max = mul && c.find((n) => n.opType === 'Max' && n.input!.includes(x) && n.input!.includes(mul.output![0]));
    return mul && max && c.length === 2 && (idx.consumers.get(mul.output![0]) ?? []).length === 1 ? { mul, max } : null;
  };
  const seen = new Set<string>();
  const groups: EqualizePair[] = [];
  for (const start of g.node ?? []) {
    if (!constConv(start) || seen.has(start.output![0])) continue;
    const tensors = new Set<string>([start.output![0]]);
    const queue = [start.output![0]];
    const producers = new Set<NodeProto>();
    const readers = new Set<NodeProto>();
    let ok = true;
    const add = (t: string) => { if (!tensors.has(t)) { tensors.add(t); queue.push(t); } };
    while (queue.length && ok) {
      const t = queue.pop()!;
      if (idx.graphOutputs.has(t) || idx.graphInputs.has(t) || idx.inits.has(t)) { ok = false; break; }
      const p = idx.producer.get(t);
      if (p && constConv(p)) producers.add(p);
      else if (p?.opType === 'Add') p.input!.forEach(add);
      else if (p?.opType === 'Max') {
        const x = p.input!.find((i) => preluOf(i)?.max === p);
        if (x) add(x); else ok = false;
      } else ok = false;
      const pr = preluOf(t);
      if (pr) {
        add(pr.max.output![0]);
        continue;
      }
      for (const c of idx.consumers.get(t) ?? []) {
        if (constConv(c) && c.input![0] === t) readers.add(c);
        else if (c.opType === 'Add') { c.input!.forEach(add); add(c.output![0]); } else ok = false;
      }
    }
    for (const t of tensors) seen.add(t);
    if (!ok || !readers.size) continue;
    // One channel count across the group.
    const channels = new Set([...producers].map((n) => dimsOf(idx.inits.get(n.input![1])!)[0]));
    if (channels.size !== 1) continue;
    groups.push({ producers: [...producers].map(key), measured: [...tensors], readers: [...readers].map(key) });
  }
  return groups;
}

export interface EqualizeReport {
  pairs: number;
  /** Mean over pairs of (largest / median channel range), before and after. */
  spreadBefore: number;
  spreadAfter: number;
}

function replaceInit(g: NonNullable<ModelProto['graph']>, old: TensorProto, data: Float32Array): void {
  const t = floatTensor(old.name!, dimsOf(old), data);
  g.initializer = (g.initializer ?? []).map((x) => (x === old ? t : x));
}

function spread(r: Float32Array): number {
  const s = [...r].sort((a, b) => a - b);
  const med = s[s.length >> 1];
  return med > 0 ? s[s.length - 1] / med : 1;
}

/**
 * Applies the scaling in place. `channelRange(t)` gives max |value| per channel (axis 1) of a
 * measured tensor. k_c is clamped to [1/maxScale, maxScale] so that a dead channel cannot blow
 * up the next layer's weights (or the int32 bias of a quantised Conv).
 */
export function equalize(model: ModelProto, groups: readonly EqualizePair[], channelRange: (t: string) => Float32Array, maxScale = 64): EqualizeReport {
  const g = graphOf(model);
  let before = 0;
  let after = 0;
  for (const p of groups) {
    const idx = new GraphIndex(g);
    const byKey = new Map((g.node ?? []).map((n) => [key(n), n]));
    const producers = p.producers.map((k) => byKey.get(k)!);
    const readers = p.readers.map((k) => byKey.get(k)!);
    const C = dimsOf(idx.inits.get(producers[0].input![1])!)[0];
    const r = new Float32Array(C);
    for (const t of p.measured) {
      const m = channelRange(t);
      for (let c = 0; c < C; c++) r[c] = Math.max(r[c], m[c]);
    }
    const target = Math.max(...r);
    const depthwise = readers.every((rd) => attrInt(rd, 'group', 1) === C && dimsOf(idx.inits.get(rd.input![1])!)[1] === 1);
    const k = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const full = r[c] > 0 ? target / r[c] : maxScale;
      k[c] = Math.min(maxScale, Math.max(1 / maxScale, depthwise ? full : Math.sqrt(full)));
    }
    before += spread(r);
    after += spread(r.map((v, c) => v * k[c]));
    for (const conv of producers) {
      // Output channel c times k_c (weights and bias).
      const w = idx.inits.get(conv.input![1])!;
      const wd = floatData(w);
      const per = wd.length / C;
      for (let c = 0; c < C; c++) for (let i = 0; i < per; i++) wd[c * per + i] *= k[c];
      replaceInit(g, w, wd);
      if (conv.input![2]) {
        const b = idx.inits.get(conv.input![2])!;
        const bd = floatData(b);
        for (let c = 0; c < C; c++) bd[c] *= k[c];
        replaceInit(g, b, bd);
      }
    }
    for (const rd of readers) {
      // Input channel c divided by k_c (group-aware).
      const rw = idx.inits.get(rd.input![1])!;
      const data = floatData(rw);
      scaleConvInputChannels(data, dimsOf(rw), attrInt(rd, 'group', 1), (c) => 1 / k[c]);
      replaceInit(g, rw, data);
    }
  }
  return { pairs: groups.length, spreadBefore: groups.length ? before / groups.length : 0, spreadAfter: groups.length ? after / groups.length : 0 };
}
