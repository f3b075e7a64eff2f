/**
 * A deliberately naive TFLite interpreter for tests: runs the operators literally, in NHWC,
 * without the converter's fusion, layout changes or weight permutations, so converted models
 * can be checked against it. It shares only the flatbuffer reader and constant decoding with
 * the converter (both checked on their own by the per-op tests). Slow but exact enough.
 */
import { decodeConst, elementCount, constInts } from '../../models/convert/tensor-data.ts';
import type { TfModel, TfOperator } from '../../models/convert/tflite-reader.ts';
import { F } from '../../models/convert/tflite-schema.ts';

interface T { shape: number[]; data: Float32Array }

function act(v: Float32Array, a: number): Float32Array {
  if (a === 0) return v;
  for (let i = 0; i < v.length; i++) {
    if (a === 1) v[i] = Math.max(0, v[i]);
    else if (a === 3) v[i] = Math.min(6, Math.max(0, v[i]));
    else if (a === 2) v[i] = Math.min(1, Math.max(-1, v[i]));
    else throw new Error(`activation ${a}`);
  }
  return v;
}

function outSize(inp: number, k: number, s: number, d: number, same: boolean): [number, number] {
  const keff = (k - 1) * d + 1;
  if (!same) return [Math.floor((inp - keff) / s) + 1, 0];
  const out = Math.ceil(inp / s);
  const total = Math.max((out - 1) * s + keff - inp, 0);
  return [out, Math.floor(total / 2)];
}

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

function broadcast(a: T, b: T, f: (x: number, y: number) => number): T {
  const r = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array<number>(r - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array<number>(r - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  const sa = strides(pa).map((s, i) => (pa[i] === 1 ? 0 : s));
  const sb = strides(pb).map((s, i) => (pb[i] === 1 ? 0 : s));
  const n = elementCount(shape);
  const out = new Float32Array(n);
  const idx = new Array<number>(r).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < n; o++) {
    out[o] = f(a.data[ia], b.data[ib]);
    for (let k = r - 1; k >= 0; k--) {
      idx[k]++;
      ia += sa[k];
      ib += sb[k];
      if (idx[k] < shape[k]) break;
      ia -= sa[k] * shape[k];
      ib -= sb[k] * shape[k];
      idx[k] = 0;
    }
  }
  return { shape, data: out };
}

function conv(x: T, w: T, b: T | null, o: TfOperator, depthwise: boolean): T {
  const S = depthwise ? F.depthwise : F.conv2d;
  const opt = o.options!;
  const [n, ih, iw, ic] = x.shape;
  const [, kh, kw, wc] = w.shape;
  const sh = opt.i32(S.strideH, 1);
  const sw = opt.i32(S.strideW, 1);
  const dh = opt.i32(S.dilationH, 1);
  const dw = opt.i32(S.dilationW, 1);
  const same = opt.i8(S.padding) === 0;
  const [oh, pt] = outSize(ih, kh, sh, dh, same);
  const [ow, pl] = outSize(iw, kw, sw, dw, same);
  const oc = depthwise ? wc : w.shape[0];
  const mult = depthwise ? oc / ic : 1;
  const out = new Float32Array(n * oh * ow * oc);
  for (let bi = 0; bi < n; bi++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        const ob = ((bi * oh + y) * ow + xo) * oc;
        for (let c = 0; c < oc; c++) {
          let s = b ? b.data[c] : 0;
          for (let ky = 0; ky < kh; ky++) {
            const yy = y * sh - pt + ky * dh;
            if (yy < 0 || yy >= ih) continue;
            for (let kx = 0; kx < kw; kx++) {
              const xx = xo * sw - pl + kx * dw;
              if (xx < 0 || xx >= iw) continue;
              const ib = ((bi * ih + yy) * iw + xx) * ic;
              if (depthwise) {
                s += x.data[ib + Math.floor(c / mult)] * w.data[(ky * kw + kx) * oc + c];
              } else {
                const wb = ((c * kh + ky) * kw + kx) * wc;
                for (let ci = 0; ci < wc; ci++) s += x.data[ib + ci] * w.data[wb + ci];
              }
            }
          }
          out[ob + c] = s;
        }
      }
    }
  }
  return { shape: [n, oh, ow, oc], data: act(out, opt.i8(depthwise ? F.depthwise.activation : F.conv2d.activation)) };
}

function pool(x: T, o: TfOperator, max: boolean): T {
  const opt = o.options!;
  const [n, ih, iw, c] = x.shape;
  const kh = opt.i32(F.pool2d.filterH);
  const kw = opt.i32(F.pool2d.filterW);
  const sh = opt.i32(F.pool2d.strideH);
  const sw = opt.i32(F.pool2d.strideW);
  const same = opt.i8(F.pool2d.padding) === 0;
  const [oh, pt] = outSize(ih, kh, sh, 1, same);
  const [ow, pl] = outSize(iw, kw, sw, 1, same);
  const out = new Float32Array(n * oh * ow * c);
  for (let bi = 0; bi < n; bi++) for (let y = 0; y < oh; y++) for (let xo = 0; xo < ow; xo++) for (let ch = 0; ch < c; ch++) {
    let acc = max ? -Infinity : 0;
    let cnt = 0;
    for (let ky = 0; ky < kh; ky++) {
      const yy = y * sh - pt + ky;
      if (yy < 0 || yy >= ih) continue;
      for (let kx = 0; kx < kw; kx++) {
        const xx = xo * sw - pl + kx;
        if (xx < 0 || xx >= iw) continue;
        const v = x.data[((bi * ih + yy) * iw + xx) * c + ch];
        acc = max ? Math.max(acc, v) : acc + v;
        cnt++;
      }
    }
    out[((bi * oh + y) * ow + xo) * c + ch] = max ? acc : acc / cnt;
  }
  return { shape: [n, oh, ow, c], data: act(out, opt.i8(F.pool2d.activation)) };
}

function reduce(x: T, axesIn: number[], keep: boolean, max: boolean): T {
  const r = x.shape.length;
  const axes = new Set(axesIn.map((a) => (a + r) % r));
  const keptShape = x.shape.map((d, i) => (axes.has(i) ? 1 : d));
  const out = new Float32Array(elementCount(keptShape)).fill(max ? -Infinity : 0);
  const os = strides(keptShape);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < x.data.length; i++) {
    let o = 0;
    for (let k = 0; k < r; k++) if (!axes.has(k)) o += idx[k] * os[k];
    out[o] = max ? Math.max(out[o], x.data[i]) : out[o] + x.data[i];
    for (let k = r - 1; k >= 0; k--) { if (++idx[k] < x.shape[k]) break; idx[k] = 0; }
  }
  return { shape: keep ? keptShape : x.shape.filter((_, i) => !axes.has(i)), data: out };
}

function concat(xs: T[], axisIn: number): T {
  const r = xs[0].shape.length;
  const axis = (axisIn + r) % r;
  const outer = elementCount(xs[0].shape.slice(0, axis));
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, t) => s + t.shape[axis], 0);
  const out = new Float32Array(elementCount(shape));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const t of xs) {
      const inner = elementCount(t.shape.slice(axis));
      out.set(t.data.subarray(i * inner, (i + 1) * inner), o);
      o += inner;
    }
  }
  return { shape, data: out };
}

function stridedSlice(x: T, begin: number[], end: number[], st: number[], o: TfOperator): T {
  const opt = o.options!;
  const bm = opt.i32(F.stridedSlice.beginMask);
  const em = opt.i32(F.stridedSlice.endMask);
  const sm = opt.i32(F.stridedSlice.shrinkAxisMask);
  const ranges = x.shape.map((d, a) => {
    const s = st[a] ?? 1;
    let b = bm & (1 << a) ? (s > 0 ? 0 : d - 1) : begin[a];
    let e = em & (1 << a) ? (s > 0 ? d : -1) : end[a];
    if (b < 0) b += d;
    if (!(em & (1 << a)) && e < 0) e += d;
    if (sm & (1 << a)) e = b + 1;
    const idx: number[] = [];
    for (let i = b; s > 0 ? i < Math.min(e, d) : i > e; i += s) idx.push(i);
    return idx;
  });
  const shape = ranges.map((r) => r.length);
  const xs = strides(x.shape);
  const out = new Float32Array(elementCount(shape));
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < shape.length; k++) src += ranges[k][idx[k]] * xs[k];
    out[i] = x.data[src];
    for (let k = shape.length - 1; k >= 0; k--) { if (++idx[k] < shape[k]) break; idx[k] = 0; }
  }
  return { shape: shape.filter((_, a) => !(sm & (1 << a))), data: out };
}

/** Runs subgraph 0 on one input; returns the outputs by TFLite tensor name. */
export function runTfliteReference(model: TfModel, input: Float32Array, inputShape: number[]): Record<string, T> {
  const vals = new Map<number, T>();
  for (const t of model.tensors) {
    if (!t.data) continue;
    const c = decodeConst(t.type, t.data, t.shape);
    vals.set(t.index, { shape: t.shape, data: Float32Array.from(c.data as ArrayLike<number>, Number) });
  }
  vals.set(model.inputs[0], { shape: inputShape, data: input });
  const get = (i: number) => {
    const v = vals.get(i);
    if (!v) throw new Error(`reference: tensor ${model.tensors[i].name} missing`);
    return v;
  };
  const ints = (i: number) => constInts({ shape: get(i).shape, data: get(i).data });
  for (const o of model.operators) {
    const x = get(o.inputs[0]);
    const binAct = o.options ? o.options.i8(0) : 0;
    let y: T;
    switch (o.op) {
      case 'CONV_2D': y = conv(x, get(o.inputs[1]), o.inputs[2] >= 0 ? get(o.inputs[2]) : null, o, false); break;
      case 'DEPTHWISE_CONV_2D': y = conv(x, get(o.inputs[1]), o.inputs[2] >= 0 ? get(o.inputs[2]) : null, o, true); break;
      case 'MAX_POOL_2D': y = pool(x, o, true); break;
      case 'AVERAGE_POOL_2D': y = pool(x, o, false); break;
      case 'FULLY_CONNECTED': {
        const w = get(o.inputs[1]);
        const [od, k] = w.shape;
        const rows = x.data.length / k;
        const b = o.inputs[2] >= 0 ? get(o.inputs[2]) : null;
        const out = new Float32Array(rows * od);
        for (let r = 0; r < rows; r++) for (let j = 0; j < od; j++) {
          let s = b ? b.data[j] : 0;
          for (let i = 0; i < k; i++) s += x.data[r * k + i] * w.data[j * k + i];
          out[r * od + j] = s;
        }
        y = { shape: [rows, od], data: act(out, binAct) };
        break;
      }
      case 'ADD': y = broadcast(x, get(o.inputs[1]), (a, b) => a + b); y.data = act(y.data, binAct); break;
      case 'SUB': y = broadcast(x, get(o.inputs[1]), (a, b) => a - b); y.data = act(y.data, binAct); break;
      case 'MUL': y = broadcast(x, get(o.inputs[1]), (a, b) => a * b); y.data = act(y.data, binAct); break;
      case 'DIV': y = broadcast(x, get(o.inputs[1]), (a, b) => a / b); y.data = act(y.data, binAct); break;
      case 'GREATER_EQUAL': y = broadcast(x, get(o.inputs[1]), (a, b) => (a >= b ? 1 : 0)); break;
      case 'LESS': y = broadcast(x, get(o.inputs[1]), (a, b) => (a < b ? 1 : 0)); break;
      case 'NEG': y = { shape: x.shape, data: x.data.map((v) => -v) }; break;
      case 'ABS': y = { shape: x.shape, data: x.data.map(Math.abs) }; break;
      case 'RELU': y = { shape: x.shape, data: x.data.map((v) => Math.max(0, v)) }; break;
      case 'RELU6': y = { shape: x.shape, data: x.data.map((v) => Math.min(6, Math.max(0, v))) }; break;
      case 'LEAKY_RELU': { const a = o.options!.f32(F.leakyRelu.alpha); y = { shape: x.shape, data: x.data.map((v) => (v >= 0 ? v : a * v)) }; break; }
      case 'EXP': y = { shape: x.shape, data: x.data.map(Math.exp) }; break;
      case 'CAST': case 'DEQUANTIZE': y = x; break;
      case 'RESHAPE': {
        const s = o.inputs[1] >= 0 ? ints(o.inputs[1]) : o.options!.i32s(F.reshape.newShape);
        const known = s.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
        y = { shape: s.map((d) => (d === -1 ? x.data.length / known : d)), data: x.data };
        break;
      }
      case 'REDUCE_MAX': y = reduce(x, ints(o.inputs[1]), o.options!.bool(F.reducer.keepDims), true); break;
      case 'SUM': y = reduce(x, ints(o.inputs[1]), o.options!.bool(F.reducer.keepDims), false); break;
      case 'CONCATENATION': y = concat(o.inputs.map(get), o.options!.i32(F.concatenation.axis)); y.data = act(y.data, o.options!.i8(F.concatenation.activation)); break;
      case 'STRIDED_SLICE': y = stridedSlice(x, ints(o.inputs[1]), ints(o.inputs[2]), ints(o.inputs[3]), o); break;
      default: throw new Error(`reference interpreter lacks ${o.op}`);
    }
    vals.set(o.outputs[0], y);
  }
  return Object.fromEntries(model.outputs.map((i) => [model.tensors[i].name, get(i)]));
}
