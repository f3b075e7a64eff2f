/**
 * Registers an embedder fused with a trained head as its own model in the pack: <id>.onnx plus a
 * manifest entry (the PackEntry format, with a `head` record of provenance). A template enrolled
 * with it records this id, so a gallery can never mix head and raw-embedder vectors.
 *
 * Note: `facegate models build` rewrites manifest.json from the model specs; a rebuild drops
 * registered heads until they are registered again (their .onnx files stay in place).
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { FaceGateError, errorMessage } from '../../sdk/errors.ts';
import { outputName } from '../../sdk/runtime/model-io.ts';
import type { PackEntry, PackManifest } from '../../sdk/runtime/model-types.ts';
import type { ProjectionHead } from './head.ts';
import { fuseHeadAfterEmbedder, HEAD_OUTPUT } from './onnx-export.ts';

export interface HeadProvenance {
  baseModel: string;
  baseSha256: string;
  loss: string;
  head: string;
  /** sha256 of the standalone head ONNX. */
  headSha256: string;
  trainedAt: string;
  /** Free-form: data set, split, validation figures. */
  notes?: Record<string, unknown>;
}

export interface TrainedHeadEntry extends PackEntry {
  head: HeadProvenance;
}

const MODEL_ID = /^[a-z0-9][a-z0-9._-]{0,79}$/;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

export interface RegisterOptions {
  packDir: string;
  baseId: string;
  modelId: string;
  head: ProjectionHead;
  provenance: Omit<HeadProvenance, 'baseModel' | 'baseSha256' | 'head'>;
}

/** Fuses, checks the result loads in ONNX Runtime, writes it and updates the manifest. */
export async function registerFusedHead(o: RegisterOptions): Promise<{ entry: TrainedHeadEntry; path: string }> {
  if (!MODEL_ID.test(o.modelId)) {
    throw new FaceGateError('FG_CONFIG_INVALID', `model id "${o.modelId}" must be lower-case letters, digits, ".", "_" or "-" (at most 80)`);
  }
  const manifestPath = join(o.packDir, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8').catch((e: unknown) => {
    throw new FaceGateError('FG_MODEL_MISSING', `model pack manifest not found: ${manifestPath} (run \`npx facegate models build\`)`, { cause: e });
  })) as PackManifest;
  const base = manifest.models.find((m) => m.id === o.baseId);
  if (!base) throw new FaceGateError('FG_MODEL_MISSING', `embedder "${o.baseId}" is not in the pack (known: ${manifest.models.map((m) => m.id).join(', ')})`);
  if (base.role !== 'embedder') throw new FaceGateError('FG_CONFIG_INVALID', `model "${o.baseId}" is a ${base.role}, not an embedder`);
  if (o.modelId === o.baseId) throw new FaceGateError('FG_CONFIG_INVALID', 'the fused model needs its own id, not the base embedder\'s');
  const clash = manifest.models.find((m) => m.id === o.modelId);
  if (clash && !('head' in clash)) throw new FaceGateError('FG_CONFIG_INVALID', `model id "${o.modelId}" is taken by a pack model that is not a trained head`);
  if (base.dim !== o.head.inDim) throw new FaceGateError('FG_INPUT_INVALID', `head expects ${o.head.inDim}-d input but ${o.baseId} gives ${base.dim}`);
  const baseBytes = new Uint8Array(await readFile(join(o.packDir, base.file)));
  if (sha256(baseBytes) !== base.sha256) throw new FaceGateError('FG_MODEL_HASH', `${base.file}: sha256 does not match the manifest`);

  const fused = fuseHeadAfterEmbedder(baseBytes, outputName(base, 'embedding'), o.head, {
    description: `${o.baseId} + ${o.provenance.loss} projection head ${o.head.describe()}`,
    extra: { 'facegate.base_model': o.baseId, 'facegate.loss': o.provenance.loss },
  });
  let inputs: PackEntry['inputs'];
  try {
    const s = await ort.InferenceSession.create(fused, { graphOptimizationLevel: 'disabled' });
    const meta = s.inputMetadata as readonly { name: string; shape?: readonly (number | string)[] }[];
    inputs = s.inputNames.map((name, i) => ({ name, shape: [...(meta?.[i]?.shape ?? [])] }));
    const outs = [...s.outputNames];
    await s.release();
    if (!outs.includes(HEAD_OUTPUT)) throw new Error(`fused graph outputs ${outs.join(', ')}`);
  } catch (e) {
    throw new FaceGateError('FG_MODEL_CONVERT', `fused model does not load in ONNX Runtime: ${errorMessage(e)}`, { cause: e });
  }
  const file = `${o.modelId}.onnx`;
  const path = join(o.packDir, file);
  await writeAtomic(path, fused);
  const entry: TrainedHeadEntry = {
    ...base,
    id: o.modelId,
    file,
    dim: o.head.outDim,
    outputs: { embedding: `embedding [n,${o.head.outDim}], L2-normalised: ${o.baseId} + trained ${o.provenance.loss} head` },
    outputNames: [HEAD_OUTPUT],
    inputs,
    sha256: sha256(fused),
    bytes: fused.byteLength,
    head: { ...o.provenance, baseModel: o.baseId, baseSha256: base.sha256, head: o.head.describe() },
  };
  // Re-read right before writing: shrinks the window in which a concurrent writer is overwritten.
  const latest = JSON.parse(await readFile(manifestPath, 'utf8')) as PackManifest;
  latest.models = [...latest.models.filter((m) => m.id !== o.modelId), entry];
  await writeAtomic(manifestPath, JSON.stringify(latest, null, 2));
  return { entry, path };
}
