/**
 * P x K batches (P people, K images each) for online triplet mining: every anchor has positives
 * and (P - 1) x K candidate negatives inside its batch. One epoch visits every person with two or
 * more images once, in a seeded random order; a person with more than K images shows a fresh
 * random K of them each epoch, one with fewer shows all.
 */
import { FaceGateError } from '../../sdk/errors.ts';
import type { Rng } from './rng.ts';

export interface PkOptions {
  peoplePerBatch: number;
  imagesPerPerson: number;
}

export function checkPk(o: PkOptions): void {
  if (!Number.isInteger(o.peoplePerBatch) || o.peoplePerBatch < 2) throw new FaceGateError('FG_CONFIG_INVALID', `people per batch must be an integer >= 2, got ${o.peoplePerBatch}`);
  if (!Number.isInteger(o.imagesPerPerson) || o.imagesPerPerson < 2) throw new FaceGateError('FG_CONFIG_INVALID', `images per person must be an integer >= 2, got ${o.imagesPerPerson}`);
}

/** Row indices of each batch of one epoch. `byLabel[l]` lists the rows of person l. */
export function pkBatches(byLabel: readonly (readonly number[])[], o: PkOptions, rng: Rng): number[][] {
  checkPk(o);
  const people: number[] = [];
  byLabel.forEach((rows, l) => { if (rows.length >= 2) people.push(l); });
  if (people.length < 2) throw new FaceGateError('FG_INPUT_INVALID', `P x K batches need at least 2 people with 2 or more images, found ${people.length}`);
  rng.shuffle(people);
  const groups: number[][] = [];
  for (let i = 0; i < people.length; i += o.peoplePerBatch) groups.push(people.slice(i, i + o.peoplePerBatch));
  // A last group of one person has no negatives: fold it into the previous batch.
  if (groups.length > 1 && groups[groups.length - 1].length < 2) groups[groups.length - 2].push(...groups.pop()!);
  return groups.map((g) => g.flatMap((l) => {
    const rows = [...byLabel[l]];
    const take = Math.min(o.imagesPerPerson, rows.length);
    // Partial Fisher-Yates: the first `take` entries become a uniform sample without replacement.
    for (let i = 0; i < take; i++) {
      const j = i + rng.int(rows.length - i);
      const t = rows[i];
      rows[i] = rows[j];
      rows[j] = t;
    }
    return rows.slice(0, take);
  }));
}
