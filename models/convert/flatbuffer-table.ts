/**
 * Minimal read-only flatbuffer table access over a DataView. Every read is bounds-checked by
 * DataView itself (RangeError), so a truncated file fails loudly instead of reading zeros.
 */
export class FbTable {
  readonly #view: DataView;
  readonly #pos: number;
  readonly #vtable: number;
  readonly #vtableSize: number;

  constructor(view: DataView, pos: number) {
    this.#view = view;
    this.#pos = pos;
    this.#vtable = pos - view.getInt32(pos, true);
    this.#vtableSize = view.getUint16(this.#vtable, true);
  }

  /** The root table of a flatbuffer (its first word is the root offset). */
  static root(bytes: Uint8Array): FbTable {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return new FbTable(view, view.getUint32(0, true));
  }

  /** Byte position of a field inside the buffer, or 0 when the field is absent. */
  #field(slot: number): number {
    const entry = 4 + 2 * slot;
    if (entry >= this.#vtableSize) return 0;
    const off = this.#view.getUint16(this.#vtable + entry, true);
    return off === 0 ? 0 : this.#pos + off;
  }

  #deref(p: number): number {
    return p + this.#view.getUint32(p, true);
  }

  has(slot: number): boolean {
    return this.#field(slot) !== 0;
  }

  u8(slot: number, dflt = 0): number {
    const p = this.#field(slot);
    return p ? this.#view.getUint8(p) : dflt;
  }

  i8(slot: number, dflt = 0): number {
    const p = this.#field(slot);
    return p ? this.#view.getInt8(p) : dflt;
  }

  bool(slot: number, dflt = false): boolean {
    const p = this.#field(slot);
    return p ? this.#view.getUint8(p) !== 0 : dflt;
  }

  i32(slot: number, dflt = 0): number {
    const p = this.#field(slot);
    return p ? this.#view.getInt32(p, true) : dflt;
  }

  u32(slot: number, dflt = 0): number {
    const p = this.#field(slot);
    return p ? this.#view.getUint32(p, true) : dflt;
  }

  f32(slot: number, dflt = 0): number {
    const p = this.#field(slot);
    return p ? this.#view.getFloat32(p, true) : dflt;
  }

  u64(slot: number, dflt = 0n): bigint {
    const p = this.#field(slot);
    return p ? this.#view.getBigUint64(p, true) : dflt;
  }

  string(slot: number): string | null {
    const p = this.#field(slot);
    if (!p) return null;
    return new TextDecoder().decode(this.#vectorBytes(this.#deref(p), 1));
  }

  table(slot: number): FbTable | null {
    const p = this.#field(slot);
    return p ? new FbTable(this.#view, this.#deref(p)) : null;
  }

  tables(slot: number): FbTable[] {
    const p = this.#field(slot);
    if (!p) return [];
    const v = this.#deref(p);
    const n = this.#view.getUint32(v, true);
    const out: FbTable[] = [];
    for (let i = 0; i < n; i++) out.push(new FbTable(this.#view, this.#deref(v + 4 + 4 * i)));
    return out;
  }

  i32s(slot: number): number[] {
    const p = this.#field(slot);
    if (!p) return [];
    const v = this.#deref(p);
    const n = this.#view.getUint32(v, true);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.#view.getInt32(v + 4 + 4 * i, true);
    return out;
  }

  /** A ubyte vector as a view into the buffer (not a copy). */
  bytes(slot: number): Uint8Array | null {
    const p = this.#field(slot);
    return p ? this.#vectorBytes(this.#deref(p), 1) : null;
  }

  #vectorBytes(v: number, elemSize: number): Uint8Array {
    const n = this.#view.getUint32(v, true);
    const start = v + 4;
    const len = n * elemSize;
    if (start + len > this.#view.byteLength) throw new RangeError(`vector at ${v} runs past the end of the buffer`);
    return new Uint8Array(this.#view.buffer, this.#view.byteOffset + start, len);
  }

  /** The whole underlying buffer, for tables that refer to data by absolute offset. */
  get buffer(): Uint8Array {
    return new Uint8Array(this.#view.buffer, this.#view.byteOffset, this.#view.byteLength);
  }
}
