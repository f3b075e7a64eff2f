import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACK_DIR } from '../../models/paths.ts';

/**
 * CLI flags for a pipeline the built pack can run: the default (MTCNN + MobileFaceNet) when its
 * models are built, else RFB + fr_feature (ONNX, always in the pack); null when neither is there.
 */
export function cliPipelineFlags(): string[] | null {
  const has = (id: string) => existsSync(join(PACK_DIR, `${id}.onnx`));
  if (has('mtcnn-pnet') && has('mtcnn-rnet') && has('mtcnn-onet') && has('mobilefacenet-192')) return ['--embedder', 'mobilefacenet-192'];
  if (has('rfb-320') && has('landmark-68') && has('fr-feature-512')) return ['--detector', 'rfb', '--embedder', 'fr-feature-512'];
  return null;
}
