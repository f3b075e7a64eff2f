/**
 * Sets `match.threshold` in a device config (YAML or JSON) atomically: the edited text is checked
 * against the device schema, the old file is kept as <file>.bak, and the new one is renamed into
 * place. The calibration record goes in a comment on the key (the schema has no field for it).
 */
import { readFile, writeFile, rename, copyFile } from 'node:fs/promises';
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
  const { doc, before } = await readConfigDoc(path, rec);
  // match is optional now (it defaults to match.fpir): a config without it gets one.
  if (!doc.has('match')) doc.set('match', doc.createNode({}));
  const match = doc.get('match', true);
  if (!isMap(match)) throw new FaceGateError('FG_CONFIG_INVALID', `config ${path}: match is not a mapping`);
  match.set('threshold', Number(rec.threshold.toFixed(6)));
  const node = match.get('threshold', true);
  const note = ` calibrated ${rec.date}: ${rec.summary}; model ${rec.modelId} (${rec.detector}${rec.flip ? ', flip' : ''}); data sha256 ${rec.dataSha256}`;
  if (node && typeof node === 'object' && 'comment' in node) (node as { comment?: string | null }).comment = note;
  const isJson = path.toLowerCase().endsWith('.json');
  // JSON has no comments: the record then goes to a sidecar file next to the config.
  const out = isJson ? JSON.stringify(doc.toJS(), null, 2) + '\n' : doc.toString();
  parseConfig(doc.toJS(), `edited config ${path}`); // never write a file the device would refuse
  const backup = `${path}.bak`;
  await copyFile(path, backup);
  await atomicWrite(path, out);
  let record: string | null = null;
  if (isJson) {
    record = `${path}.calibration.json`;
    await atomicWrite(record, JSON.stringify(rec, null, 2) + '\n');
  }
  return { path, backup, record, previousThreshold: before.match.threshold ?? null };
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, path);
}

/** The device-config writer calibration runs with (calibration itself knows no device config). */
export const deviceConfigWriter: ConfigWriter = { preflight: preflightConfig, write: writeConfigThreshold };
