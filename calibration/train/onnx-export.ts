/**
 * The head as ONNX: Gemm [-> Relu | PRelu -> Gemm] -> LpNormalization(p=2), weights in float32.
 * Two forms: a standalone head (input: a unit embedding [n, d], output "embedding" [n, k]) and the
 * head fused after an embedder graph (its raw output L2-normalised first, exactly as the SDK does
 * before the head sees it), so a device runs one model and records one model id.
 *
 * Written straight with onnx-proto rather than models/convert/onnx-builder.ts: fusing appends
 * nodes to a decoded foreign graph, which that builder (made for building graphs from scratch)
 * does not do; the head itself is five nodes.
 */
import onnxProto from 'onnx-proto';
import { FaceGateError } from '../../sdk/errors.ts';
import { ProjectionHead, type HeadShape } from './head.ts';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
type IModelProto = onnxProto.onnx.IModelProto;
type IDimension = onnxProto.onnx.TensorShapeProto.IDimension;

const FLOAT = 1;
/** Metadata key holding the head's shape as JSON (read back by headFromOnnx). */
export const HEAD_META_KEY = 'facegate.head';
export const HEAD_OUTPUT = 'embedding';
export const HEAD_INPUT = 'embedding_in';
/** Lowest opset whose Gemm/PRelu broadcast the way the head needs. */
const MIN_OPSET = 9;
const STANDALONE_OPSET = 13;

/** Initialiser names inside the ONNX (fixed so a head can be read back). */
const W = { w1: 'head_w1', b1: 'head_b1', slope: 'head_slope', w2: 'head_w2', b2: 'head_b2' } as const;

function floatTensor(name: string, dims: number[], data: Float64Array): ITensorProto {
  const f = Float32Array.from(data);
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) };
}

function attrInt(name: string, i: number) {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

function valueInfo(name: string, dims: IDimension[]): IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims } } } };
}

/** Nodes and initialisers computing the head from `input`; returns the name of its unit output. */
function headNodes(head: ProjectionHead, input: string, output: string, normaliseInput: boolean, fresh: (base: string) => string): { nodes: INodeProto[]; inits: ITensorProto[] } {
  const nodes: INodeProto[] = [];
  const inits: ITensorProto[] = [];
  const node = (opType: string, inputs: string[], out: string, attribute: ReturnType<typeof attrInt>[] = []) => {
    nodes.push({ opType, name: fresh(`head/${opType}`), input: inputs, output: [out], attribute });
    return out;
  };
  const d = head.inDim;
  const k = head.outDim;
  const h = head.hidden;
  let x = input;
  if (normaliseInput) x = node('LpNormalization', [x], fresh('head_in_unit'), [attrInt('axis', 1), attrInt('p', 2)]);
  const w1 = fresh(W.w1);
  const b1 = fresh(W.b1);
  inits.push(floatTensor(w1, [h || k, d], head.w1), floatTensor(b1, [h || k], head.b1));
  let z = node('Gemm', [x, w1, b1], fresh(h ? 'head_h_pre' : 'head_z'), [attrInt('transB', 1)]);
  if (h) {
    if (head.activation === 'prelu') {
      const s = fresh(W.slope);
      inits.push(floatTensor(s, [h], head.slope!));
      z = node('PRelu', [z, s], fresh('head_h'));
    } else z = node('Relu', [z], fresh('head_h'));
    const w2 = fresh(W.w2);
    const b2 = fresh(W.b2);
    inits.push(floatTensor(w2, [k, h], head.w2!), floatTensor(b2, [k], head.b2!));
    z = node('Gemm', [z, w2, b2], fresh('head_z'), [attrInt('transB', 1)]);
  }
  node('LpNormalization', [z], output, [attrInt('axis', 1), attrInt('p', 2)]);
  return { nodes, inits };
}

export interface HeadOnnxMeta {
  /** Free-form provenance (loss, data, base model), stored in metadata_props and doc_string. */
  description?: string;
  extra?: Record<string, string>;
}

function metadata(head: ProjectionHead, meta: HeadOnnxMeta): { key: string; value: string }[] {
  return [
    { key: HEAD_META_KEY, value: JSON.stringify(head.shape) },
    ...Object.entries(meta.extra ?? {}).map(([key, value]) => ({ key, value })),
  ];
}

/** Standalone head: input "embedding_in" [n, d] (unit embeddings), output "embedding" [n, k]. */
export function headToOnnx(head: ProjectionHead, meta: HeadOnnxMeta = {}): Uint8Array {
  const used = new Set<string>([HEAD_INPUT, HEAD_OUTPUT]);
  const fresh = uniqueNamer(used);
  const { nodes, inits } = headNodes(head, HEAD_INPUT, HEAD_OUTPUT, false, fresh);
  const model: IModelProto = {
    irVersion: 7,
    opsetImport: [{ domain: '', version: STANDALONE_OPSET }],
    producerName: 'facegate-train-head',
    producerVersion: '1',
    docString: meta.description ?? `FaceGate projection head ${head.describe()}`,
    metadataProps: metadata(head, meta),
    graph: {
      name: 'facegate_head',
      node: nodes,
      initializer: inits,
      input: [valueInfo(HEAD_INPUT, [{ dimParam: 'batch' }, { dimValue: head.inDim }])],
      output: [valueInfo(HEAD_OUTPUT, [{ dimParam: 'batch' }, { dimValue: head.outDim }])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

function uniqueNamer(used: Set<string>): (base: string) => string {
  return (base) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
}

/**
 * Appends the head after `baseOutput` of an embedder graph. The base output stops being a graph
 * output; the fused model's single output is "embedding" [batch, k]. Other base outputs are kept.
 */
export function fuseHeadAfterEmbedder(baseOnnx: Uint8Array, baseOutput: string, head: ProjectionHead, meta: HeadOnnxMeta = {}): Uint8Array {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(baseOnnx);
  } catch (e) {
    throw new FaceGateError('FG_MODEL_LOAD', 'embedder model is not a valid ONNX file', { cause: e });
  }
  if (!model.graph) throw new FaceGateError('FG_MODEL_LOAD', 'embedder ONNX has no graph');
  // Decoded messages are class instances whose repeated fields are arrays; the types say optional.
  const graph = model.graph as onnxProto.onnx.GraphProto;
  for (const n of graph.node) {
    n.input ??= [];
    n.output ??= [];
  }
  const opset = model.opsetImport.find((o) => !o.domain)?.version;
  const opsetNum = opset === undefined || opset === null ? 0 : Number(opset);
  if (opsetNum < MIN_OPSET) throw new FaceGateError('FG_MODEL_LOAD', `embedder ONNX opset ${opsetNum} is below ${MIN_OPSET}, which the head needs`);
  const outIdx = graph.output.findIndex((o) => o.name === baseOutput);
  if (outIdx < 0) {
    throw new FaceGateError('FG_MODEL_LOAD', `embedder ONNX has no output "${baseOutput}" (outputs: ${graph.output.map((o) => o.name).join(', ')})`);
  }
  const baseDims = graph.output[outIdx].type?.tensorType?.shape?.dim ?? [];
  const lastDim = baseDims.length ? baseDims[baseDims.length - 1] : undefined;
  if (baseDims.length !== 2 || (lastDim?.dimValue !== undefined && lastDim.dimValue !== null && Number(lastDim.dimValue) !== head.inDim)) {
    throw new FaceGateError('FG_MODEL_LOAD', `embedder output "${baseOutput}" must be [batch, ${head.inDim}] to take this head`);
  }
  const used = new Set<string>();
  for (const n of graph.node) {
    for (const v of [...n.input!, ...n.output!]) used.add(v);
    if (n.name) used.add(n.name);
  }
  for (const t of graph.initializer) if (t.name) used.add(t.name);
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) if (v.name) used.add(v.name);
  const fresh = uniqueNamer(used);
  // The base output keeps flowing inside the graph; "embedding" becomes the head's output.
  let inner = baseOutput;
  if (baseOutput === HEAD_OUTPUT) {
    inner = fresh('base_embedding');
    const rename = (v: string) => (v === baseOutput ? inner : v);
    for (const n of graph.node) {
      n.input = n.input!.map(rename);
      n.output = n.output!.map(rename);
    }
    for (const v of graph.valueInfo) if (v.name === baseOutput) v.name = inner;
  } else if (used.has(HEAD_OUTPUT)) {
    throw new FaceGateError('FG_MODEL_LOAD', `embedder ONNX already uses the name "${HEAD_OUTPUT}" for another value`);
  }
  used.add(HEAD_OUTPUT);
  const { nodes, inits } = headNodes(head, inner, HEAD_OUTPUT, true, fresh);
  graph.node.push(...(nodes as onnxProto.onnx.NodeProto[]));
  graph.initializer.push(...(inits as onnxProto.onnx.TensorProto[]));
  const batchDim: IDimension = baseDims[0] ?? { dimParam: 'batch' };
  graph.output.splice(outIdx, 1, onnx.ValueInfoProto.create(valueInfo(HEAD_OUTPUT, [batchDim, { dimValue: head.outDim }])));
  model.producerName = `${model.producerName || 'unknown'}+facegate-train-head`;
  model.docString = meta.description ?? `${model.docString ?? ''} + FaceGate projection head ${head.describe()}`.trim();
  model.metadataProps = [...model.metadataProps.filter((p) => p.key !== HEAD_META_KEY), ...metadata(head, meta).map((p) => onnx.StringStringEntryProto.create(p))];
  return onnx.ModelProto.encode(model).finish();
}

/** Reads a head back from a standalone or fused ONNX written by this module (weights are float32). */
export function headFromOnnx(bytes: Uint8Array): ProjectionHead {
  const model = onnx.ModelProto.decode(bytes);
  const shapeJson = model.metadataProps.find((p) => p.key === HEAD_META_KEY)?.value;
  if (!shapeJson) throw new FaceGateError('FG_MODEL_LOAD', `ONNX has no ${HEAD_META_KEY} metadata: not a FaceGate head`);
  const head = new ProjectionHead(JSON.parse(shapeJson) as HeadShape);
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const read = (name: string, into: Float64Array | null) => {
    if (!into) return;
    const t = inits.get(name);
    if (!t?.rawData) throw new FaceGateError('FG_MODEL_LOAD', `head initialiser ${name} missing`);
    const raw = t.rawData;
    const f = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    if (f.length !== into.length) throw new FaceGateError('FG_MODEL_LOAD', `head initialiser ${name}: ${f.length} values, expected ${into.length}`);
    into.set(f);
  };
  read(W.w1, head.w1);
  read(W.b1, head.b1);
  read(W.slope, head.slope);
  read(W.w2, head.w2);
  read(W.b2, head.b2);
  return head;
}
