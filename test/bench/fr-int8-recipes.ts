/**
 * int8 recipe candidates for fr-feature-512, judged on real faces: the aligned inputs of every
 * lfw-dev pair image (fp32 MTCNN, central face, fallback on, as the embedding cache finds them) are
 * captured once into <work>; then fr-feature-512 is calibrated once (shipped recipe, demo photos)
 * and each candidate QDQ file is written and run in ORT (level all): cosine to fp32, 1:1 10-fold
 * alone and fused with the cached MobileFaceNet int8 / fp32 vectors (docs/quantization.md).
 *   node --import tsx test/bench/fr-int8-recipes.ts --work <dir> [--capture] [--candidates '[{"name":"bc","r":{"biasCorrection":true}}]'] [--save]
 * Needs ../shared/data/lfw-dev and the lfw-dev MobileFaceNet embedding caches (fusion-precision.ts fills them).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { readCsvRows } from '../../calibration/csv-rows.ts';
import { embedLabeledImages } from '../../calibration/train/embedding-cache.ts';
import { PACK_DIR } from '../../models/paths.ts';
import { calibratePack, cloneModel } from '../../models/quantize/calibrate-pack.ts';
import { demoCalibrationImages } from '../../models/quantize/calibration-inputs.ts';
import { encodeModel } from '../../models/quantize/onnx-graph.ts';
import { applyQdq, planQdq } from '../../models/quantize/qdq-quantize.ts';
import { INT8_RECIPES, type Int8Recipe } from '../../models/quantize/recipes.ts';
import { mostCentralFace } from '../../sdk/detect/face-choice.ts';
import { OnnxEmbedder } from '../../sdk/embed/onnx-embedder.ts';
import { fuseEmbeddings } from '../../sdk/embed/fusion.ts';
import { loadFrame } from '../../sdk/image/load-frame.ts';
import { blockFolds, kFoldAccuracy } from '../../sdk/metrics/kfold.ts';
import { createPipeline } from '../../sdk/pipeline/create-pipeline.ts';
import { ModelPack } from '../../sdk/runtime/pack.ts';
import { DATA_DIR } from '../helpers/pack.ts';

const { values } = parseArgs({ options: { work: { type: 'string' }, capture: { type: 'boolean' }, candidates: { type: 'string' }, save: { type: 'boolean' } } });
const work = values.work ?? join(process.cwd(), '.cache', 'fr-int8-recipes');
const lfw = join(DATA_DIR, 'lfw-dev');
const imagesDir = join(lfw, 'images');
if (!existsSync(join(lfw, 'pairs.csv'))) {
  console.log(`skipped: ${lfw} not present`);
  process.exit(0);
}
const SZ = 112 * 112 * 3;
const pairRows: { a: string; b: string; same: number }[] = [];
for await (const { values: v } of readCsvRows(join(lfw, 'pairs.csv'), { required: ['image_a', 'image_b', 'same'], describe: 'fold,image_a,image_b,same' })) {
  pairRows.push({ a: v.image_a, b: v.image_b, same: Number(v.same) });
}

async function capture(): Promise<void> {
  const list = [...new Set(pairRows.flatMap((p) => [p.a, p.b]))].sort();
  const pack = await ModelPack.open(PACK_DIR);
  const load = pack.load.bind(pack);
  let last: Float32Array | null = null;
  // Records the embedder's input (the aligned, normalised face) on its way into the session.
  pack.load = async (id, opts) => {
    const m = await load(id, opts);
    const run = m.session.run.bind(m.session);
    m.session.run = ((feeds: Record<string, ort.Tensor>, ...rest: unknown[]) => {
      last = Float32Array.from(Object.values(feeds)[0].data as Float32Array);
      return (run as (...a: unknown[]) => ReturnType<typeof run>)(feeds, ...rest);
    }) as typeof m.session.run;
    return m;
  };
  const emb = await OnnxEmbedder.create(pack, 'fr-feature-512');
  const p = await createPipeline({ detector: 'mtcnn', embedder: 'fr-feature-512', packDir: PACK_DIR, precision: 'fp32' });
  const inputs = new Float32Array(list.length * SZ);
  const ok: boolean[] = [];
  try {
    for (const [i, key] of list.entries()) {
      const path = join(imagesDir, key);
      const r = await p.analyze(path, { fallback: true });
      const k = mostCentralFace(r.faces, r.width, r.height);
      if (k < 0) { ok.push(false); continue; }
      last = null;
      await emb.embed(await loadFrame(path), [r.faces[k].landmarks5]);
      const got = last as Float32Array | null;
      if (!got || got.length !== SZ) throw new Error(`no ${SZ}-value input captured for ${key}`);
      inputs.set(got, i * SZ);
      ok.push(true);
    }
  } finally {
    await Promise.all([emb.release(), p.release()]);
  }
  await mkdir(work, { recursive: true });
  await writeFile(join(work, 'inputs.f32'), new Uint8Array(inputs.buffer));
  await writeFile(join(work, 'keys.json'), JSON.stringify({ keys: list, ok }));
  console.log(JSON.stringify({ captured: list.length, failed: ok.filter((x) => !x).length }));
}

if (values.capture || !existsSync(join(work, 'keys.json'))) await capture();
const { keys, ok } = JSON.parse(await readFile(join(work, 'keys.json'), 'utf8')) as { keys: string[]; ok: boolean[] };
const buf = await readFile(join(work, 'inputs.f32'));
const inputs = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
const at = new Map(keys.map((k, i) => [k, i]));
const pairs = pairRows.map((p) => ({ a: at.get(p.a)!, b: at.get(p.b)!, same: p.same }));
const same = Int8Array.from(pairs.map((p) => p.same));
const folds = blockFolds(same, 10);
const items = keys.map((k) => ({ key: k, path: join(imagesDir, k) }));
const mfn = async (precision: 'fp32' | 'int8') => (await embedLabeledImages(items, { detector: 'mtcnn', embedder: 'mobilefacenet-192', imagesDir, precision })).vectors;
const frCache = async (precision: 'fp32' | 'int8') => (await embedLabeledImages(items, { detector: 'mtcnn', embedder: 'fr-feature-512', imagesDir, precision })).vectors;
const M8 = await mfn('int8');
const M32 = await mfn('fp32');

const opts = (level: 'all' | 'extended'): ort.InferenceSession.SessionOptions => ({ graphOptimizationLevel: level, intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3, extra: { session: { intra_op: { allow_spinning: '0' } } } });
async function embedAll(bytes: Uint8Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, opts('all'));
  const out = new Float32Array(keys.length * 512);
  const B = 16;
  for (let i = 0; i < keys.length; i += B) {
    const n = Math.min(B, keys.length - i);
    const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', inputs.subarray(i * SZ, (i + n) * SZ), [n, 3, 112, 112]) });
    const e = r[s.outputNames[0]].data as Float32Array;
    for (let j = 0; j < n; j++) {
      if (!ok[i + j]) continue;
      const v = e.subarray(j * 512, (j + 1) * 512);
      let ss = 0; for (const x of v) ss += x * x;
      const inv = 1 / Math.sqrt(ss);
      for (let d = 0; d < 512; d++) out[(i + j) * 512 + d] = v[d] * inv;
    }
  }
  await s.release();
  return out;
}
function tenFold(A: Float32Array, da: number, B: Float32Array | null): number {
  const db = 512;
  const vec = (i: number) => B ? fuseEmbeddings(A.subarray(i * da, (i + 1) * da), B.subarray(i * db, (i + 1) * db), 0.5) : A.subarray(i * da, (i + 1) * da);
  const dist = Float64Array.from(pairs.map((p) => { const x = vec(p.a); const y = vec(p.b); let s = 0; for (let j = 0; j < x.length; j++) s += (x[j] - y[j]) ** 2; return Math.sqrt(s); }));
  return Number((100 * kFoldAccuracy(dist, same, folds).mean).toFixed(2));
}
function cosStats(R: Float32Array, X: Float32Array) {
  const c: number[] = [];
  for (let i = 0; i < keys.length; i++) { if (!ok[i]) continue; let s = 0; for (let d = 0; d < 512; d++) s += R[i * 512 + d] * X[i * 512 + d]; c.push(s); }
  c.sort((a, b) => a - b);
  return { median: Number(c[c.length >> 1].toFixed(5)), p1: Number(c[Math.floor(c.length * 0.01)].toFixed(4)), min: Number(c[0].toFixed(4)), mean: Number((c.reduce((a, b) => a + b, 0) / c.length).toFixed(5)) };
}
const fp32 = await embedAll(new Uint8Array(await readFile(join(PACK_DIR, 'fr-feature-512.onnx'))));
const C32 = await frCache('fp32');
console.log(JSON.stringify({ check: 'captured fp32 vs cache fp32', ...cosStats(C32, fp32) }));
console.log(JSON.stringify({ ref: 'fp32/fp32', fused: tenFold(M32, 192, fp32), mfn8_fr32: tenFold(M8, 192, fp32), fr32: tenFold(fp32, 512, null) }));
const C8 = await frCache('int8');
console.log(JSON.stringify({ ref: 'cache int8 FR', ...cosStats(fp32, C8), mfn8_fr8: tenFold(M8, 192, C8) }));

const base = INT8_RECIPES['fr-feature-512'];
const cands: { name: string; r: Partial<Int8Recipe> }[] = JSON.parse(values.candidates ?? '[{"name":"shipped","r":{}}]');
const t0 = performance.now();
const set = await demoCalibrationImages();
const cal = await calibratePack(PACK_DIR, ['fr-feature-512'], set, () => base);
const m = cal.models.get('fr-feature-512')!;
console.log('calibrated', ((performance.now() - t0) / 1000).toFixed(0), 's');
for (const { name, r: over } of cands) {
  const r = { ...base, ...over } as Int8Recipe;
  const plan = planQdq(m.model, r);
  const ranges = m.calibrator.ranges(r.method, { percentile: r.percentile });
  const { model, report } = applyQdq(cloneModel(m.model), plan, ranges, r, { channelMeans: m.calibrator.channelMeans() });
  const bytes = encodeModel(model);
  if (values.save) await writeFile(join(work, `${name}.onnx`), bytes);
  const X = await embedAll(bytes);
  console.log(JSON.stringify({ name, quantWeights: plan.weightNodes.length, biasCorrected: report.biasCorrected, ...cosStats(fp32, X), mfn8_fr8: tenFold(M8, 192, X), fr8: tenFold(X, 512, null), mfn32_fr8: tenFold(M32, 192, X) }));
}
await m.calibrator.release();
process.exit(0);
