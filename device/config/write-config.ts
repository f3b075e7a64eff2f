/**
 * Sets `match.threshold` (and `match.margin`) in a device config (YAML or JSON) atomically: the
 * edited text is checked against the device schema, the old file is kept as <file>.bak, and the
 * new one is renamed into place. Comments and every other key stay as they were (YAML document
 * edit). Where the value came from goes in a comment on the key (the schema has no field for it).
 * Used by `facegate calibrate --write-config` and by the console's "apply threshold".
 */
import { copyFile, open, readFile, rename, stat } from 'node:fs/promises';
import { parseDocument, isMap } from 'yaml';
import { FaceGateError } from '../../sdk/errors.ts';
import type { CalibrationRecord, ConfigWriter, WriteConfigResult } from '../../calibration/config-writer.ts';
import { parseConfig } from './load-config.ts';

export type { CalibrationRecord, WriteConfigResult };

async function readConfigDoc(path: string, pipe: { detector: string; embedder: string; flip: boolean }) {
  const text = await readFile(path, 'utf8').catch((e: unknown) => {
    throw new FaceGateError('FG_CONFIG_INVALID', `cannot read config ${path}: ${(e as Error).message}`, { cause: e });
  });
  const doc = parseDocument(text);
  if (doc.errors.length) throw new FaceGateError('FG_CONFIG_INVALID', `config ${path} is not valid YAML/JSON: ${doc.errors[0].message.split('\n')[0]}`);
  const before = parseConfig(doc.toJS(), `config ${path}`);
  const p = before.pipeline;
  if (p.embedder !== pipe.embedder || p.detector !== pipe.detector || p.flip !== pipe.flip) {
    throw new FaceGateError('FG_CALIBRATION',
      `config ${path} runs ${p.detector} + ${p.embedder}${p.flip ? ' + flip' : ''} but the calibration uses ${pipe.detector} + ${pipe.embedder}${pipe.flip ? ' + flip' : ''}: a threshold only holds for the pipeline it was measured with`);
  }
  return { doc, before };
}

/** Run before any model work: the config must be readable, valid, and run the calibrated pipeline. */
export async function preflightConfig(path: string, pipe: { detector: string; embedder: string; flip: boolean }): Promise<void> {
  await readConfigDoc(path, pipe);
}

export async function writeConfigThreshold(path: string, rec: CalibrationRecord): Promise<WriteConfigResult> {
  const note = ` calibrated ${rec.date}: ${rec.summary}; model ${rec.modelId} (${rec.detector}${rec.flip ? ', flip' : ''}); data sha256 ${rec.dataSha256}`;
  const r = await writeConfigMatch(path, { threshold: rec.threshold, note, pipeline: rec });
  let record: string | null = null;
  // JSON has no comments: the record then goes to a sidecar file next to the config.
  if (r.json) {
    record = `${path}.calibration.json`;
    await atomicWrite(record, JSON.stringify(rec, null, 2) + '\n');
  }
  return { path, backup: r.backup, record, previousThreshold: r.previous.threshold };
}

export interface MatchEdit {
  threshold: number;
  /** Left as it is when absent. */
  margin?: number;
  /** Comment put on the threshold key (YAML only). */
  note: string;
  /** The pipeline the threshold holds for: a config that runs another one is refused. */
  pipeline: { detector: string; embedder: string; flip: boolean };
}

/** Edits `match` in place, atomically with a `.bak` of the old file; returns the values it replaced. */
export async function writeConfigMatch(path: string, edit: MatchEdit): Promise<{ backup: string; json: boolean; previous: { threshold: number | null; margin: number } }> {
  const { doc, before } = await readConfigDoc(path, edit.pipeline);
  // match is optional now (it defaults to match.fpir): a config without it gets one.
  if (!doc.has('match')) doc.set('match', doc.createNode({}));
  const match = doc.get('match', true);
  if (!isMap(match)) throw new FaceGateError('FG_CONFIG_INVALID', `config ${path}: match is not a mapping`);
  match.set('threshold', Number(edit.threshold.toFixed(6)));
  if (edit.margin !== undefined) match.set('margin', Number(edit.margin.toFixed(6)));
  const node = match.get('threshold', true);
  if (node && typeof node === 'object' && 'comment' in node) (node as { comment?: string | null }).comment = edit.note;
  const json = path.toLowerCase().endsWith('.json');
  const out = json ? JSON.stringify(doc.toJS(), null, 2) + '\n' : doc.toString();
  parseConfig(doc.toJS(), `edited config ${path}`); // never write a file the device would refuse
  const backup = `${path}.bak`;
  await copyFile(path, backup);
  await atomicWrite(path, out);
  return { backup, json, previous: { threshold: before.match.threshold ?? null, margin: before.match.margin } };
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  // The new file keeps the old one's permission bits (a config may hold the broker password).
  const mode = await stat(path).then((s) => s.mode & 0o777, () => 0o644);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(text);
    await fh.sync(); // on disk before the rename makes it the config
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** The device-config writer calibration runs with (calibration itself knows no device config). */
export const deviceConfigWriter: ConfigWriter = { preflight: preflightConfig, write: writeConfigThreshold };
