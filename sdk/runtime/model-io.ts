import * as ort from 'onnxruntime-node';
import { FaceGateError } from '../errors.ts';
import type { PackEntry } from './model-types.ts';
import type { LoadedModel } from './pack.ts';

/**
 * Reading a model's I/O from its manifest entry (never from guesses): input name, output names by
 * meaning, and whether the batch dimension is fixed.
 */

export function inputName(entry: PackEntry): string {
  const name = entry.inputs?.[0]?.name;
  if (!name) throw new FaceGateError('FG_MODEL_LOAD', `manifest entry of ${entry.id} lists no inputs`);
  return name;
}

/**
 * Graph output name for a meaning key of `entry.outputs` (e.g. 'prob'): the name itself when the
 * graph uses it, else the output at the same position (keys are listed in the order of outputNames).
 */
export function outputName(entry: PackEntry, key: string): string {
  const names = entry.outputNames ?? [];
  if (names.includes(key)) return key;
  const keys = Object.keys(entry.outputs);
  const i = keys.indexOf(key);
  if (i >= 0 && keys.length === names.length) return names[i];
  throw new FaceGateError('FG_MODEL_LOAD',
    `cannot find output "${key}" of ${entry.id}: graph outputs are [${names.join(', ')}], manifest meanings [${keys.join(', ')}]`);
}

/** The fixed batch size of the first input, or null when the batch dimension is dynamic. */
export function fixedBatch(entry: PackEntry): number | null {
  const d = entry.inputs?.[0]?.shape?.[0];
  return typeof d === 'number' && d > 0 ? d : null;
}

/**
 * Runs `count` items through a model in as few runs as its batch dimension allows: one run when
 * dynamic, chunks of the fixed size otherwise (the last chunk zero-padded). `fill(data, from, n)`
 * writes items from..from+n-1 into slots 0..n-1 of `data`; returns each output concatenated over
 * items, padding rows removed.
 */
export async function runBatched(
  model: LoadedModel,
  count: number,
  itemDims: number[],
  fill: (data: Float32Array, from: number, n: number) => void,
  outputKeys: string[],
): Promise<Float32Array[]> {
  const entry = model.entry;
  const fixed = fixedBatch(entry);
  const chunk = fixed ?? Math.max(1, count);
  const perItem = itemDims.reduce((a, b) => a * b, 1);
  const names = outputKeys.map((k) => outputName(entry, k));
  const input = inputName(entry);
  const parts: Float32Array[][] = outputKeys.map(() => []);
  for (let from = 0; from < count; from += chunk) {
    const n = Math.min(chunk, count - from);
    const batch = fixed ?? n;
    const data = new Float32Array(batch * perItem);
    fill(data, from, n);
    const out = await model.session.run({ [input]: new ort.Tensor('float32', data, [batch, ...itemDims]) });
    names.forEach((name, k) => {
      const t = out[name];
      if (!t) throw new FaceGateError('FG_MODEL_LOAD', `${entry.id} returned no output "${name}"`);
      const values = t.data as Float32Array;
      parts[k].push(values.subarray(0, (values.length / batch) * n));
    });
  }
  return parts.map((p) => {
    if (p.length === 1) return p[0];
    const total = p.reduce((a, b) => a + b.length, 0);
    const all = new Float32Array(total);
    let o = 0;
    for (const x of p) { all.set(x, o); o += x.length; }
    return all;
  });
}
