/**
 * The device's liveness gate from config: which scorer, which threshold, or why the gate is off.
 * Kept out of run-device.ts so the composition stays a list of parts.
 */
import { FaceGateError } from '../../sdk/errors.ts';
import type { Logger } from '../../sdk/logger.ts';
import { createLivenessScorer, livenessPackIds } from '../../sdk/liveness/create-scorer.ts';
import { DEFAULT_LIVENESS_THRESHOLDS } from '../../sdk/liveness/models.ts';
import type { LivenessAggregateOptions } from '../../sdk/liveness/aggregate.ts';
import type { LivenessScorer } from '../../sdk/liveness/types.ts';
import { openPack } from '../../sdk/pipeline/create-detector.ts';
import type { DeviceConfig } from '../config/schema.ts';

export interface LivenessGate {
  scorer: LivenessScorer;
  options: LivenessAggregateOptions;
}

/**
 * Opens the configured scorer, or returns null when the gate is off: `enabled: false`, or
 * `enabled` absent and the pack lacks the model. Both log a warning, since the door then opens
 * for a photo of an enrolled person. `enabled: true` with the model missing is an error.
 */
export async function openLivenessGate(cfg: DeviceConfig['liveness'], runtime: DeviceConfig['runtime'], logger: Logger): Promise<LivenessGate | null> {
  if (cfg.enabled === false) {
    logger.warn('liveness gate OFF (liveness.enabled: false): a printed photo or a screen of an enrolled person can open the door');
    return null;
  }
  const pack = await openPack(runtime.packDir, { logger, intraOpThreads: runtime.threads });
  const missing = livenessPackIds(cfg.model).filter((id) => !pack.manifest.models.some((m) => m.id === id));
  if (missing.length) {
    if (cfg.enabled === true) {
      throw new FaceGateError('FG_MODEL_MISSING', `liveness.model "${cfg.model}" needs ${missing.join(', ')}, which the model pack lacks: build it with \`npx facegate models build\` or set liveness.enabled: false`);
    }
    logger.warn('liveness gate OFF: the model pack lacks the liveness model; build it with `npx facegate models build` (or set liveness.enabled: false to silence this)', { model: cfg.model, missing });
    return null;
  }
  // fp32 whatever runtime.precision says: the default thresholds were measured on fp32 scores.
  const scorer = await createLivenessScorer(pack, { model: cfg.model, providers: runtime.providers, precision: 'fp32', logger });
  const options: LivenessAggregateOptions = { threshold: cfg.threshold ?? DEFAULT_LIVENESS_THRESHOLDS[cfg.model], minFrames: cfg.minFrames, window: cfg.window, mode: cfg.mode };
  logger.info('liveness gate on', { model: scorer.id, ...options });
  return { scorer, options };
}
