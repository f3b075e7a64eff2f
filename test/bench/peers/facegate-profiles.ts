/**
 * FaceGate's door profiles as the peer bench runs them: the device defaults (MTCNN min face 60, pyramid step 0.6,
 * precision auto = int8 MobileFaceNet on CPU, one ORT thread) and the RFB profile.
 */
import { createPipeline, type PipelineConfig } from '../../../sdk/pipeline/create-pipeline.ts';
import { createDetector } from '../../../sdk/pipeline/create-detector.ts';
import type { Frame } from '../../../sdk/types.ts';
import type { PeerPipeline } from './tfjs-peers.ts';

export const FACEGATE_PROFILES: Record<'mtcnn' | 'mtcnn0709' | 'fused' | 'fused07' | 'rfb', { name: string; config: PipelineConfig }> = {
  mtcnn: { name: 'FaceGate MTCNN+MobileFaceNet int8', config: { detector: 'mtcnn', minFaceSize: 60, mtcnnFactor: 0.6, mtcnnMergeOverlap: 0.4, precision: 'auto', threads: 1 } },
  // the door default before issue 20's last change: the SDK's pyramid step 0.709 (more P-Net levels)
  mtcnn0709: { name: 'FaceGate MTCNN (factor 0.709)+MobileFaceNet int8', config: { detector: 'mtcnn', minFaceSize: 60, mtcnnFactor: 0.709, precision: 'auto', threads: 1 } },
  // the device's default embedder since #16: MobileFaceNet-192 + fr-feature-512 fused (704-d)
  fused: { name: 'FaceGate MTCNN+fusion-mfn192-fr512 (device default)', config: { detector: 'mtcnn', minFaceSize: 60, mtcnnFactor: 0.6, mtcnnMergeOverlap: 0.4, embedder: 'fusion-mfn192-fr512', precision: 'auto', threads: 1 } },
  // the same before windows merged at IoU 0.4 (the reference MTCNN's 0.7: ~6 windows per face into O-Net)
  fused07: { name: 'FaceGate MTCNN (merge 0.7)+fusion-mfn192-fr512', config: { detector: 'mtcnn', minFaceSize: 60, mtcnnFactor: 0.6, embedder: 'fusion-mfn192-fr512', precision: 'auto', threads: 1 } },
  rfb: { name: 'FaceGate RFB+MobileFaceNet int8', config: { detector: 'rfb', precision: 'auto', threads: 1 } },
};

export async function facegatePipeline(profile: keyof typeof FACEGATE_PROFILES): Promise<PeerPipeline> {
  const { name, config } = FACEGATE_PROFILES[profile];
  const pipeline = await createPipeline(config);
  // The same detector at the SDK's fallback thresholds, for images where the first pass finds nothing.
  const fallback = await createDetector(config);
  return {
    name,
    describe: `${pipeline.embedder.dim}-d unit, Euclidean`,
    async faces(frame: Frame, low = false) {
      const faces = low ? await fallback.detectLow(frame) : await pipeline.detector.detect(frame);
      if (!faces.length) return [];
      return (await pipeline.embedFaces(frame, faces)).map((f) => ({ box: f.box, embedding: f.embedding }));
    },
    async release() {
      await Promise.all([pipeline.release(), fallback.detector.release()]);
    },
  };
}
