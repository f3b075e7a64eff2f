export { ARCFACE_TEMPLATE, TEMPLATE_SIZE, templateFor } from './template.ts';
export { umeyamaSimilarity, applyAffine, invertAffine, type Affine, type Point, type SimilarityFit } from './similarity.ts';
export { warpInto } from './warp.ts';
export { alignmentFor, alignFaceInto, type Alignment } from './align-face.ts';
