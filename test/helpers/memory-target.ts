/** An in-memory EnrollmentTarget for unit tests of the sync state machine (no broker, no SQLite). */
import type { EnrollmentDelta, EnrollmentModel, EnrollmentTarget } from '../../sdk/mqtt/enrollment-target.ts';
import type { TemplateRecord } from '../../sdk/mqtt/template-codec.ts';

export class MemoryTarget implements EnrollmentTarget {
  records = new Map<string, TemplateRecord>();
  #version = 0;
  #model: EnrollmentModel | undefined;
  applies = 0;

  constructor(model?: EnrollmentModel) {
    this.#model = model;
  }

  model(): EnrollmentModel | undefined {
    return this.#model;
  }

  version(): number {
    return this.#version;
  }

  identityCount(): number {
    return this.records.size;
  }

  applySnapshot(records: TemplateRecord[], version: number, model: EnrollmentModel): void {
    this.#model = model;
    this.records = new Map(records.map((r) => [r.identity, r]));
    this.#version = version;
    this.applies++;
  }

  applyDelta(d: EnrollmentDelta): void {
    for (const id of d.removes) this.records.delete(id);
    for (const r of d.upserts) this.records.set(r.identity, r);
    this.#version = d.version;
    this.applies++;
  }

  exportRecords(): TemplateRecord[] {
    return [...this.records.values()];
  }
}

/** Deterministic unit vectors (LCG), so tests are repeatable. */
export function unitVectors(n: number, dim: number, seed = 1): Float32Array[] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  return Array.from({ length: n }, () => {
    const v = Float32Array.from({ length: dim }, next);
    let q = 0;
    for (const x of v) q += x * x;
    const inv = 1 / Math.sqrt(q);
    for (let i = 0; i < dim; i++) v[i] *= inv;
    return v;
  });
}
