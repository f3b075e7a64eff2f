/** Public surface of the gallery: the store (Gallery) and the vector indexes behind it. */
export { Gallery, GALLERY_DB, DEFAULT_EXACT_BELOW, DEFAULT_INLINE_ADD_LIMIT, DEFAULT_BULK_MIN } from './gallery.ts';
export type {
  GalleryOptions, SearchOptions, IdentityInput, TemplateInput, EmbeddingInput, EnrollOptions, EnrollResult, IdentityInfo, TemplateInfo, Candidate,
  GalleryChanges, ApplyResult, GalleryStats, IndexState,
} from './gallery.ts';
export type { VectorIndex, Neighbor, IndexKind } from './vector-index.ts';
export { ExactIndex } from './exact-index.ts';
export { HnswIndex, DEFAULT_HNSW_PARAMS } from './hnsw-index.ts';
export type { HnswParams } from './hnsw-index.ts';
export { HNSW_SIZE_TABLE, hnswParamsForSize, hnswBuildForSize, hnswBeamsForSize } from './hnsw-by-size.ts';
export type { HnswSizeTable, HnswBand, HnswBeamPoint } from './hnsw-by-size.ts';
export { buildIndexFile, buildIndexFileInWorker } from './build-index.ts';
export { toUnitVector, centreOf } from './vectors.ts';
export { enrolImages, identifyImages } from './image-jobs.ts';
export type { FaceAnalyzer, LabeledImage, ProbeImage, ProbeResult, EnrolImagesResult, IdentifyOptions, ImageProblem } from './image-jobs.ts';
export { rekeyGallery } from './rekey.ts';
export type { RekeyResult } from './rekey.ts';
