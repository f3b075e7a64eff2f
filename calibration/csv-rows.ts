/**
 * Streams a CSV with a required header row and yields records as column-name -> value maps with
 * their line numbers. csv-parse handles CRLF, quotes and a UTF-8 BOM (files saved by Excel).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { FaceGateError } from '../sdk/errors.ts';

export interface CsvRow {
  line: number;
  values: Record<string, string>;
}

export interface CsvHeaderSpec {
  required: readonly string[];
  optional?: readonly string[];
  /** Shown in messages: e.g. "fold,image_a,image_b,same (fold optional)". */
  describe: string;
}

async function ensureFile(path: string): Promise<void> {
  const s = await stat(path).catch((e: unknown) => {
    throw new FaceGateError('FG_CSV_INVALID', `${path}: cannot read the CSV (${(e as NodeJS.ErrnoException).code ?? e})`, { cause: e });
  });
  if (!s.isFile()) throw new FaceGateError('FG_CSV_INVALID', `${path}: not a file`);
}

/** Reads every data row; refuses a file whose first row is not a header naming the required columns. */
export async function* readCsvRows(path: string, spec: CsvHeaderSpec): AsyncGenerator<CsvRow> {
  await ensureFile(path);
  const parser = createReadStream(path).pipe(parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true, // checked below, with a message that names the row
    info: true,
  }));
  let header: string[] | null = null;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = item;
      if (!header) {
        header = record.map((h) => h.toLowerCase());
        const missing = spec.required.filter((c) => !header!.includes(c));
        if (missing.length) {
          throw new FaceGateError('FG_CSV_INVALID',
            `${path}: line ${info.lines} is not a valid header (missing ${missing.join(', ')}); expected columns ${spec.describe}, got "${record.join(',')}"`);
        }
        continue;
      }
      if (record.length !== header.length) {
        throw new FaceGateError('FG_CSV_INVALID', `${path}: line ${info.lines} has ${record.length} columns, the header has ${header.length}`);
      }
      const values: Record<string, string> = {};
      header.forEach((h, i) => { values[h] = record[i]; });
      yield { line: info.lines, values };
    }
  } catch (e) {
    if (e instanceof FaceGateError) throw e;
    throw new FaceGateError('FG_CSV_INVALID', `${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    parser.destroy();
  }
  if (!header) throw new FaceGateError('FG_CSV_INVALID', `${path}: empty file; expected a header ${spec.describe}`);
}
