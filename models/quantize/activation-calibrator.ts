/**
 * Measures activation ranges: the float model is re-exported with every tensor to be quantised
 * as an extra graph output, run on real inputs, and each output feeds a RangeHistogram.
 */
import * as ort from 'onnxruntime-node';
import { FaceGateError } from '../../sdk/errors.ts';
import { decodeModel, encodeModel, graphOf, type ModelProto } from './onnx-graph.ts';
import { RangeHistogram, type CalibrationMethod } from './range-histogram.ts';

export interface RangeOptions {
  /** Share of samples kept per tail for 'percentile' (default 0.9999). */
  percentile?: number;
}

export class ActivationCalibrator {
  readonly tensors: string[];
  readonly histograms: Map<string, RangeHistogram>;
  /** Per-channel sums (axis 1) and counts of rank >= 3 tensors, for bias correction. */
  readonly #channelSums = new Map<string, { sum: Float64Array; count: number }>();
  samples = 0;
  readonly #session: ort.InferenceSession;

  private constructor(session: ort.InferenceSession, tensors: string[]) {
    this.#session = session;
    this.tensors = tensors;
    this.histograms = new Map(tensors.map((t) => [t, new RangeHistogram()]));
  }

  /** `model` is not modified (a copy is augmented). */
  static async create(model: ModelProto, tensors: readonly string[]): Promise<ActivationCalibrator> {
    return new ActivationCalibrator(await measuringSession(model, tensors), [...tensors]);
  }

  /** Runs one input batch and adds every measured tensor to its histogram. */
  async add(feeds: Record<string, ort.Tensor>): Promise<void> {
    const wanted = this.tensors.filter((t) => !(t in feeds));
    const out = await this.#session.run(feeds, wanted);
    for (const t of this.tensors) {
      const v = t in feeds ? feeds[t] : out[t];
      if (!v) throw new FaceGateError('FG_MODEL_CONVERT', `calibration: tensor ${t} was not produced`);
      if (v.type !== 'float32') throw new FaceGateError('FG_MODEL_CONVERT', `calibration: tensor ${t} is ${v.type}, not float32`);
      this.histograms.get(t)!.add(v.data as Float32Array);
      if (v.dims.length >= 3) this.#addChannelSums(t, v.data as Float32Array, v.dims);
    }
    for (const v of Object.values(out)) v.dispose?.();
    this.samples++;
  }

  #addChannelSums(t: string, data: Float32Array, dims: readonly number[]): void {
    const [n, c] = dims;
    const inner = data.length / (n * c);
    const acc = this.#channelSums.get(t) ?? { sum: new Float64Array(c), count: 0 };
    if (acc.sum.length !== c) return; // channel count changed between batches: not a fixed NCHW map
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const base = (b * c + ch) * inner;
        let s = 0;
        for (let i = 0; i < inner; i++) s += data[base + i];
        acc.sum[ch] += s;
      }
    }
    acc.count += n * inner;
    this.#channelSums.set(t, acc);
  }

  /** Mean per channel (axis 1) of every measured tensor of rank >= 3 (NCHW maps). */
  channelMeans(): Map<string, Float32Array> {
    const m = new Map<string, Float32Array>();
    for (const [t, { sum, count }] of this.#channelSums) m.set(t, Float32Array.from(sum, (s) => s / count));
    return m;
  }

  ranges(method: CalibrationMethod, opts: RangeOptions = {}): Map<string, [number, number]> {
    if (!this.samples) throw new FaceGateError('FG_MODEL_CONVERT', 'calibration saw no inputs');
    const r = new Map<string, [number, number]>();
    for (const [t, h] of this.histograms) r.set(t, h.range(method, { percentile: opts.percentile }));
    return r;
  }

  async release(): Promise<void> {
    await this.#session.release();
  }
}

/** A session of a copy of `model` that also outputs `tensors`. */
async function measuringSession(model: ModelProto, tensors: readonly string[]): Promise<ort.InferenceSession> {
  const copy = decodeModel(encodeModel(model));
  const g = graphOf(copy);
  const outputs = new Set((g.output ?? []).map((o) => o.name!));
  // Outputs without a type: ORT infers it. Graph inputs cannot be outputs (they are read from the feeds).
  const inputs = new Set((g.input ?? []).map((i) => i.name!));
  for (const t of tensors) if (!outputs.has(t) && !inputs.has(t)) g.output = [...(g.output ?? []), { name: t }];
  // 'disabled': no fusion may swallow a tensor we measure (they are outputs anyway; cheap insurance).
  return ort.InferenceSession.create(encodeModel(copy), {
    graphOptimizationLevel: 'disabled',
    intraOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

/** Largest |value| per channel (axis 1, NCHW) of some tensors, for equalisation. */
export class ChannelRanges {
  readonly #session: ort.InferenceSession;
  readonly #tensors: string[];
  readonly ranges = new Map<string, Float32Array>();

  private constructor(session: ort.InferenceSession, tensors: string[]) {
    this.#session = session;
    this.#tensors = tensors;
  }

  static async create(model: ModelProto, tensors: readonly string[]): Promise<ChannelRanges> {
    return new ChannelRanges(await measuringSession(model, tensors), [...tensors]);
  }

  async add(feeds: Record<string, ort.Tensor>): Promise<void> {
    if (!this.#tensors.length) return;
    const out = await this.#session.run(feeds, this.#tensors);
    for (const t of this.#tensors) {
      const v = out[t];
      if (!v || v.type !== 'float32' || v.dims.length < 2) throw new FaceGateError('FG_MODEL_CONVERT', `channel ranges: ${t} is not a float tensor of rank >= 2`);
      const [n, c] = [v.dims[0], v.dims[1]];
      const inner = v.dims.slice(2).reduce((a, b) => a * b, 1);
      const data = v.data as Float32Array;
      const r = this.ranges.get(t) ?? new Float32Array(c);
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          const base = (b * c + ch) * inner;
          let m = r[ch];
          for (let i = 0; i < inner; i++) {
            const a = Math.abs(data[base + i]);
            if (a > m) m = a;
          }
          r[ch] = m;
        }
      }
      this.ranges.set(t, r);
    }
    for (const v of Object.values(out)) v.dispose?.();
  }

  async release(): Promise<void> {
    await this.#session.release();
  }
}
