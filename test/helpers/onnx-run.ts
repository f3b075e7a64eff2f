/** Running ONNX bytes in onnxruntime-node and inspecting graphs, for converter tests. */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';

export interface OutTensor { data: Float32Array; dims: number[] }

/** Runs a single-input model; outputs converted to Float32Array (bool/int become numbers). */
export async function runOnnx(bytes: Uint8Array, input: Float32Array, dims: number[], opts: { optLevel?: 'disabled' | 'basic' | 'extended' | 'all' } = {}): Promise<Record<string, OutTensor>> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: opts.optLevel ?? 'extended', intraOpNumThreads: 1 });
  try {
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', input, dims) });
    const res: Record<string, OutTensor> = {};
    for (const [k, t] of Object.entries(out)) {
      const d = t.data;
      const data = d instanceof Float32Array ? d : Float32Array.from(Array.from(d as ArrayLike<number | bigint | boolean>, (v) => Number(v)));
      res[k] = { data, dims: [...t.dims] };
    }
    return res;
  } finally {
    await s.release();
  }
}

/** Op types of the graph's nodes, in order. */
export function onnxOpTypes(bytes: Uint8Array): string[] {
  return (onnxProto.onnx.ModelProto.decode(bytes).graph?.node ?? []).map((n) => n.opType ?? '');
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Asserts element-wise closeness with a useful message. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = 'values'): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`${what}[${i}]: ${actual[i]} != ${expected[i]} (tol ${tol}); actual [${Array.from(actual).slice(0, 16).join(', ')}]`);
    }
  }
}
