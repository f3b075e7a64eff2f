import { FaceGateError, errorMessage, isFaceGateError } from '../../../sdk/errors.ts';
import { loadFrame, toSourcePixels } from '../../../sdk/image/load-frame.ts';
import { DEFAULT_DETECTOR } from '../../../sdk/registry.ts';
import { createDetector, DETECTOR_KINDS, type DetectorKind } from '../../../sdk/pipeline/create-detector.ts';
import type { DetectedFace } from '../../../sdk/types.ts';
import { precisionFlag } from './precision-flag.ts';

export interface DetectOpts {
  json?: boolean;
  detector?: string;
  minFace?: string;
  precision?: string;
}

export interface DetectImageResult {
  image: string;
  width?: number;
  height?: number;
  /** Size the image was decoded at when it exceeds the detector's working size (boxes are still in image px). */
  decoded?: [number, number];
  faces?: { box: [number, number, number, number]; score: number; landmarks: [number, number][] }[];
  ms?: number;
  error?: { code: string; message: string };
}

const r2 = (v: number) => Math.round(v * 100) / 100;

function faceJson(f: DetectedFace): NonNullable<DetectImageResult['faces']>[number] {
  return {
    box: [r2(f.box.x), r2(f.box.y), r2(f.box.w), r2(f.box.h)],
    score: Math.round(f.score * 1e4) / 1e4,
    landmarks: f.landmarks5.map(([x, y]) => [r2(x), r2(y)]),
  };
}

/**
 * `facegate detect <image...>`: faces (box x,y,w,h, score, 5 landmarks) per image. A bad image
 * gets an error entry and the others are still processed; exit 1 if any image failed.
 */
export default async function detect(opts: DetectOpts, images: string[]): Promise<number> {
  if (!images.length) throw new FaceGateError('FG_CLI_USAGE', 'detect needs at least one image path');
  const kind = (opts.detector ?? DEFAULT_DETECTOR) as DetectorKind;
  if (!DETECTOR_KINDS.includes(kind)) {
    throw new FaceGateError('FG_CLI_USAGE', `--detector must be one of ${DETECTOR_KINDS.join(', ')}, got "${opts.detector}"`);
  }
  let minFaceSize: number | undefined;
  if (opts.minFace !== undefined) {
    minFaceSize = Number(opts.minFace);
    if (!Number.isFinite(minFaceSize) || minFaceSize < 12) throw new FaceGateError('FG_CLI_USAGE', `--min-face must be a number of px >= 12, got "${opts.minFace}"`);
    if (kind !== 'mtcnn') process.stderr.write(`facegate: --min-face applies to mtcnn only; ignored for ${kind}\n`);
  }
  const { detector } = await createDetector({ detector: kind, minFaceSize, precision: precisionFlag(opts.precision) });
  const results: DetectImageResult[] = [];
  try {
    for (const image of images) {
      const t0 = performance.now();
      try {
        const frame = await loadFrame(image);
        const faces = await detector.detect(frame);
        const size = frame.source ?? frame;
        results.push({
          image,
          width: size.width,
          height: size.height,
          ...(frame.source ? { decoded: [frame.width, frame.height] as [number, number] } : {}),
          faces: faces.map((f) => faceJson(toSourcePixels(f, frame))),
          ms: r2(performance.now() - t0),
        });
      } catch (e) {
        if (!isFaceGateError(e) || !e.code.startsWith('FG_IMAGE')) throw e;
        results.push({ image, error: { code: e.code, message: errorMessage(e) } });
      }
      if (!opts.json) printText(results[results.length - 1]);
    }
  } finally {
    await detector.release();
  }
  if (opts.json) process.stdout.write(JSON.stringify(results) + '\n');
  return results.some((r) => r.error) ? 1 : 0;
}

function printText(r: DetectImageResult): void {
  if (r.error) {
    process.stdout.write(`${r.image}: ERROR ${r.error.code} ${r.error.message}\n`);
    return;
  }
  process.stdout.write(`${r.image}: ${r.width}x${r.height}, ${r.faces!.length} face(s), ${r.ms} ms\n`);
  for (const f of r.faces!) {
    process.stdout.write(`  box ${f.box.join(',')} score ${f.score} eyes ${f.landmarks[0].join(',')} ${f.landmarks[1].join(',')}\n`);
  }
}
