/**
 * Labelled presentations for liveness evaluation, checked row by row so a bad CSV is refused with
 * the line and value that are wrong (the CSV reading itself stays with the caller).
 */
import { FaceGateError } from '../errors.ts';

export type PresentationLabel = 'live' | 'attack';

export interface LivenessSample {
  /** Image path as written in the CSV. */
  image: string;
  label: PresentationLabel;
  attackType?: string;
  attackVariant?: string;
  subject?: string;
  /** Line in the CSV (for messages). */
  line: number;
}

export const LABEL_COLUMNS = { required: ['image', 'label'], optional: ['attack_type', 'attack_variant', 'subject'] } as const;
export const LABEL_HEADER_DESCRIPTION = 'image,label[,attack_type,attack_variant,subject] with label live or attack';

/** `spoof` is accepted for `attack`: public anti-spoofing sets label their attacks that way. */
const LABELS: Record<string, PresentationLabel> = { live: 'live', attack: 'attack', spoof: 'attack' };

/** Turns CSV records (column -> value) into samples; throws FG_CSV_INVALID naming the line. */
export function parseLivenessRows(rows: readonly { line: number; values: Record<string, string> }[], source = 'labels'): LivenessSample[] {
  const out: LivenessSample[] = [];
  for (const { line, values } of rows) {
    const image = (values.image ?? '').trim();
    if (!image) throw new FaceGateError('FG_CSV_INVALID', `${source}: line ${line} has an empty image path`);
    const raw = (values.label ?? '').trim();
    const label = LABELS[raw.toLowerCase()];
    if (!label) {
      throw new FaceGateError('FG_CSV_INVALID', `${source}: line ${line} has label "${raw}"; expected live or attack`);
    }
    const opt = (k: string) => {
      const v = (values[k] ?? '').trim();
      return v === '' ? undefined : v;
    };
    const sample: LivenessSample = { image, label, line };
    const attackType = opt('attack_type');
    const attackVariant = opt('attack_variant');
    const subject = opt('subject');
    if (label === 'attack') {
      if (attackType !== undefined) sample.attackType = attackType;
      if (attackVariant !== undefined) sample.attackVariant = attackVariant;
    }
    if (subject !== undefined) sample.subject = subject;
    out.push(sample);
  }
  if (!out.length) throw new FaceGateError('FG_CSV_INVALID', `${source}: no rows after the header`);
  return out;
}
