/**
 * ONNX writer: collects nodes, initialisers and graph I/O, then encodes a ModelProto with the
 * protobufjs classes of `onnx-proto`. Weights go in raw_data (little-endian, as ONNX requires).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;

export const ElemType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;

export type Attr = { i: number } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string };
export const int = (i: number): Attr => ({ i });
export const float = (f: number): Attr => ({ f });
export const ints = (v: readonly number[]): Attr => ({ ints: [...v] });
export const str = (s: string): Attr => ({ s });

export type InitData = Float32Array | Int32Array | BigInt64Array | { bool: Uint8Array };

/** A dimension: a fixed size or a symbolic name. */
export type Dim = number | string;

function attrProto(name: string, a: Attr): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: T.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: T.FLOATS, floats: a.floats };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
}

function valueInfo(name: string, elemType: number, dims: readonly Dim[]): IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export class OnnxGraphBuilder {
  readonly #nodes: INodeProto[] = [];
  readonly #inits: ITensorProto[] = [];
  readonly #inputs: IValueInfoProto[] = [];
  readonly #outputs: IValueInfoProto[] = [];
  readonly #used = new Set<string>();
  readonly #producer = new Map<string, INodeProto>();
  readonly #reserved = new Set<string>();

  /** Keeps names (the graph outputs') free until `output()` claims them. */
  reserve(names: readonly string[]): void {
    for (const n of names) {
      if (this.#used.has(n)) throw new Error(`name ${n} reserved twice`);
      this.#used.add(n);
      this.#reserved.add(n);
    }
  }

  /** A value name not used yet, derived from `base`. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.#used.has(name); i++) name = `${base}_${i}`;
    this.#used.add(name);
    return name;
  }

  initializer(base: string, dims: readonly number[], data: InitData): string {
    const name = this.unique(base);
    let elemType: number;
    let bytes: Uint8Array;
    if (data instanceof Float32Array) [elemType, bytes] = [ElemType.FLOAT, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
    else if (data instanceof Int32Array) [elemType, bytes] = [ElemType.INT32, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
    else if (data instanceof BigInt64Array) [elemType, bytes] = [ElemType.INT64, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
    else [elemType, bytes] = [ElemType.BOOL, data.bool];
    this.#inits.push({ name, dims: [...dims], dataType: elemType, rawData: bytes });
    return name;
  }

  /** int64 vector initialiser (shapes, axes, slice bounds). */
  int64s(base: string, values: readonly number[]): string {
    return this.initializer(base, [values.length], BigInt64Array.from(values, (v) => BigInt(v)));
  }

  /** Adds a node; `outputs` are bases made unique. Returns the output names. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, Attr> = {}): string[] {
    const outs = outputs.map((o) => this.unique(o));
    const node: INodeProto = {
      opType,
      name: this.unique(`${opType}:${outs[0]}`),
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attrProto(k, v)),
    };
    this.#nodes.push(node);
    for (const o of outs) this.#producer.set(o, node);
    return outs;
  }

  /** Shorthand for a single-output node. */
  node1(opType: string, inputs: readonly string[], output: string, attrs: Record<string, Attr> = {}): string {
    return this.node(opType, inputs, [output], attrs)[0];
  }

  input(name: string, elemType: number, dims: readonly Dim[]): string {
    this.#used.add(name);
    this.#inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /**
   * Declares `value` a graph output called `name`: the producing node's output is renamed (no
   * Identity node) unless the value is a graph input or initialiser.
   */
  output(value: string, name: string, elemType: number, dims: readonly Dim[]): void {
    const producer = this.#producer.get(value);
    if (value !== name) {
      if (this.#used.has(name) && !this.#reserved.has(name)) throw new Error(`output name ${name} already in use`);
      this.#reserved.delete(name);
      this.#used.add(name);
      if (producer) {
        producer.output = producer.output!.map((o) => (o === value ? name : o));
        for (const n of this.#nodes) n.input = n.input!.map((i) => (i === value ? name : i));
        for (const o of this.#outputs) if (o.name === value) o.name = name;
        this.#producer.delete(value);
        this.#producer.set(name, producer);
      } else {
        this.node('Identity', [value], [name]);
      }
    }
    this.#outputs.push(valueInfo(name, elemType, dims));
  }

  get nodeCount(): number {
    return this.#nodes.length;
  }

  opTypes(): string[] {
    return this.#nodes.map((n) => n.opType!);
  }

  encode(meta: { graphName: string; opset: number; docString?: string; producerVersion?: string }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8, // opset 17 needs IR >= 8
      opsetImport: [{ domain: '', version: meta.opset }],
      producerName: 'facegate-tflite-to-onnx',
      producerVersion: meta.producerVersion ?? '1',
      docString: meta.docString ?? '',
      graph: {
        name: meta.graphName,
        node: this.#nodes,
        initializer: this.#inits,
        input: this.#inputs,
        output: this.#outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
