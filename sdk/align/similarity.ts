import { FaceGateError } from '../errors.ts';

export type Point = readonly [number, number];

/** 2-D affine map as [a, b, c, d, e, f]: x' = a*x + b*y + c, y' = d*x + e*y + f. */
export type Affine = [number, number, number, number, number, number];

export interface SimilarityFit {
  /** Maps source points onto destination points. */
  matrix: Affine;
  scale: number;
  /** Angle of the rotation [[cos, -sin], [sin, cos]], radians (y-down axes: positive turns clockwise on screen). */
  rotation: number;
  /**
   * The best orthogonal fit would have been a reflection (det of the cross-covariance < 0):
   * the points are mirrored relative to the template (e.g. left/right landmarks swapped).
   * The returned transform is still the best proper rotation, as Umeyama's sign correction gives.
   */
  reflected: boolean;
  /** Root-mean-square residual in destination units. */
  rms: number;
}

/**
 * Least-squares similarity transform (scale, rotation, translation) from `src` to `dst`:
 * Umeyama (1991) specialised to 2-D. With the cross-covariance S = mean(dst_c src_c^T), the
 * optimal proper rotation maximises trace(R^T S), whose closed form in 2-D is
 * angle = atan2(S10 - S01, S00 + S11); that maximum equals trace(D*K) (the singular values with
 * Umeyama's reflection sign K), so scale = trace(D*K) / var(src). Reflections are never returned.
 */
export function umeyamaSimilarity(src: readonly Point[], dst: readonly Point[]): SimilarityFit {
  const n = src.length;
  if (n < 2 || dst.length !== n) {
    throw new FaceGateError('FG_INPUT_INVALID', `similarity fit needs >= 2 point pairs, got ${n} source and ${dst.length} destination points`);
  }
  let msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (let i = 0; i < n; i++) {
    msx += src[i][0]; msy += src[i][1]; mdx += dst[i][0]; mdy += dst[i][1];
  }
  msx /= n; msy /= n; mdx /= n; mdy /= n;
  let s00 = 0, s01 = 0, s10 = 0, s11 = 0, varSrc = 0;
  for (let i = 0; i < n; i++) {
    const sx = src[i][0] - msx, sy = src[i][1] - msy;
    const dx = dst[i][0] - mdx, dy = dst[i][1] - mdy;
    s00 += dx * sx; s01 += dx * sy; s10 += dy * sx; s11 += dy * sy;
    varSrc += sx * sx + sy * sy;
  }
  if (!Number.isFinite(varSrc) || !Number.isFinite(s00 + s01 + s10 + s11)) {
    throw new FaceGateError('FG_INPUT_INVALID', 'similarity fit got non-finite points');
  }
  if (varSrc <= 1e-12) throw new FaceGateError('FG_INPUT_INVALID', 'similarity fit: source points all coincide');
  const rotation = Math.atan2(s10 - s01, s00 + s11);
  const cos = Math.cos(rotation);
  const sin = Math.sin(rotation);
  const scale = (cos * (s00 + s11) + sin * (s10 - s01)) / varSrc;
  const a = scale * cos, b = -scale * sin, d = scale * sin, e = scale * cos;
  const matrix: Affine = [a, b, mdx - a * msx - b * msy, d, e, mdy - d * msx - e * msy];
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const [x, y] = applyAffine(matrix, src[i]);
    sq += (x - dst[i][0]) ** 2 + (y - dst[i][1]) ** 2;
  }
  return { matrix, scale, rotation, reflected: s00 * s11 - s01 * s10 < 0, rms: Math.sqrt(sq / n) };
}

export function applyAffine(m: Affine, p: Point): [number, number] {
  return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (!(Math.abs(det) > 1e-12)) throw new FaceGateError('FG_INPUT_INVALID', 'affine transform is not invertible');
  const ia = e / det, ib = -b / det, id = -d / det, ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}
