/**
 * From a liveness model's raw outputs to evidence: the log-odds that the face is live. A single
 * model's score is sigmoid(evidence); the fused scorer combines the evidence of several models.
 * Class meanings were measured on spoof-nuaa-dev and spoof-minivision (docs/liveness.md).
 */
import { logit } from './logistic.ts';

/**
 * fr_liveness returns 3 logits. Measured: class 0 is live (argmax on every live frame), class 1
 * is a 2D attack (argmax on every NUAA print and on the minivision print and tablet replay),
 * class 2 was never the argmax on our data. Log-odds of live = l0 - log(e^l1 + e^l2).
 */
export function frLivenessEvidence(logits: ArrayLike<number>): number {
  const a = logits[1], b = logits[2];
  const m = Math.max(a, b);
  return logits[0] - (m + Math.log(Math.exp(a - m) + Math.exp(b - m)));
}

/**
 * FaceAntiSpoofing (a deep-tree network) returns 8 leaf classifier scores and a one-hot mask of
 * the leaf the face was routed to; its app's spoof score is sum |clss| * leaf, live below 0.2.
 * We take 1 - that score (clamped) as P(live): 0.8 then plays the app's 0.2.
 */
export function antispoofEvidence(clss: ArrayLike<number>, leaf: ArrayLike<number>): number {
  let spoof = 0;
  for (let i = 0; i < clss.length; i++) spoof += Math.abs(clss[i]) * leaf[i];
  return logit(1 - spoof, 1e-4);
}
