/**
 * FaceGate's public API: `import { ... } from 'facegate'`. This file is the only supported import
 * for library users and what semver covers (CHANGELOG.md); every other module is internal.
 * @packageDocumentation
 */

/** The installed FaceGate version (package.json). */
export { VERSION } from './version.ts';

// ---- pipeline: image -> faces -> embeddings ----
/** Creates a detector + embedder pipeline from the model pack (analyze, detect, embedFaces). */
export { createPipeline } from './pipeline/create-pipeline.ts';
/** Pipeline handle, its options, analyze options and the detect-only result. */
export type { Pipeline, PipelineConfig, AnalyzeOptions, DetectResult, TrackingEmbedding } from './pipeline/create-pipeline.ts';
/** Creates one detector from the registry, and opens a model pack. */
export { createDetector, openPack } from './pipeline/create-detector.ts';
/** Detector options and the created detector (with its low-threshold fallback pass). */
export type { DetectorConfig, DetectorHandle } from './pipeline/create-detector.ts';
/** The model registry: detectors and embedders by name, their names, defaults and guards. */
export { DETECTORS, EMBEDDERS, DETECTOR_KINDS, EMBEDDER_IDS, DEFAULT_DETECTOR, DEFAULT_EMBEDDER, isDetectorKind, isEmbedderId } from './registry.ts';
/** Registry types: detector and embedder names and rows. */
export type { DetectorKind, EmbedderId, DetectorSpec, EmbedderSpec } from './registry.ts';
/** What a detector factory reads, and the non-empty name lists. */
export type { DetectorSettings, NonEmpty } from './registry.ts';
/** A built model pack on disk (manifest + ONNX files). */
export { ModelPack } from './runtime/pack.ts';
/** Pack defaults, per-load options and a loaded model session. */
export type { PackDefaults, LoadOptions, LoadedModel } from './runtime/pack.ts';
/** Where the pack is looked for: option, else FACEGATE_MODELS_DIR, else the package's models/pack. */
export { resolvePackDir, BUILT_PACK_DIR } from './runtime/pack-dir.ts';
/** Model builds (fp32, int8, fp16, auto) and the pack manifest's shape. */
export type { PrecisionSetting, Precision, PackEntry, PackManifest, PackVariant, VariantCalibration, Preprocess, ModelRole, GraphOptLevel } from './runtime/model-types.ts';
/** ONNX Runtime execution providers a pipeline may ask for. */
export type { ExecutionProvider } from './runtime/session.ts';
/** Index of the face nearest the image centre, of the largest face, and whether a rival face makes a frame ambiguous. */
export { mostCentralFace, largestFace, hasRivalFace } from './detect/face-choice.ts';
/** Anything with a face box. */
export type { Boxed } from './detect/face-choice.ts';
/** Scales a vector to unit length in place; Euclidean distance between embeddings. */
export { l2Normalize, l2Distance } from './embed/l2.ts';
/** Decodes an image file or buffer into an RGB frame. */
export { loadFrame } from './image/load-frame.ts';
/** Image inputs loadFrame and analyze take, and decoder options. */
export type { LoadFrameOptions } from './image/load-frame.ts';
export type { ImageInput, RawFrame } from './image/raw-frame.ts';

// ---- gallery: enrolled identities and 1:N search ----
/** The gallery store: enroll, search, remove, list; open it with openGallery. */
export { Gallery } from './gallery/gallery.ts';
/** Gallery options, enrolment and search inputs and results. */
export type { GalleryOptions, SearchOptions, EnrollOptions, EnrollResult, EmbeddingInput, IdentityInfo, TemplateInfo, Candidate, GalleryStats } from './gallery/gallery.ts';
/** Identity and template inputs, batched changes and their result, index state. */
export type { IdentityInput, TemplateInput, GalleryChanges, ApplyResult, IndexState } from './gallery/gallery-types.ts';
/** HNSW index parameters. */
export type { HnswParams } from './gallery/hnsw-index.ts';
/** HNSW parameters by gallery size: the measured table a gallery uses unless given its own (GalleryOptions.hnswSizes). */
export { HNSW_SIZE_TABLE, hnswParamsForSize } from './gallery/hnsw-by-size.ts';
/** The size table's shape: build bands and measured beam points. */
export type { HnswSizeTable, HnswBand, HnswBeamPoint } from './gallery/hnsw-by-size.ts';
/** Searches a gallery for one embedding and decides grant / deny / unknown. */
export { identifyEmbedding } from './gallery/identify.ts';
/** Options of identifyEmbedding. */
export type { IdentifyEmbeddingOptions } from './gallery/identify.ts';
/** Bulk enrolment and identification over image files with any FaceAnalyzer (a Pipeline is one). */
export { enrolImages, identifyImages } from './gallery/image-jobs.ts';
/** Inputs and results of the image-file jobs. */
export type { ProbeImage, ProbeResult, EnrolImagesResult, IdentifyOptions, ImageProblem } from './gallery/image-jobs.ts';
/** Re-encrypts a gallery under a new site key (or adds / removes encryption). */
export { rekeyGallery } from './gallery/rekey.ts';
/** What rekeyGallery changed. */
export type { RekeyResult } from './gallery/rekey.ts';
/** Site keys for encrypted galleries. */
export { SiteKey, loadSiteKey, parseSiteKey } from './security/site-key.ts';

import { Gallery as GalleryStore, type GalleryOptions as StoreOptions } from './gallery/gallery.ts';
/** Opens the gallery at `dir`; `{ create: true, modelId, dim }` creates it. */
export function openGallery(dir: string, opts?: StoreOptions): Promise<GalleryStore> {
  return GalleryStore.open(dir, opts);
}

// ---- decisions and metrics ----
/** The access decision from match candidates: grant, deny (disabled / out of validity) or unknown. */
export { decide } from './match/decide.ts';
/** Decision inputs and result. */
export type { MatchCandidate, DecideOptions, Decision, DecisionKind, DecisionReason } from './match/decide.ts';
/** Default 1:N threshold of an embedder (from the registry). */
export { defaultThreshold } from './match/default-thresholds.ts';
/** Open-set (1:N) figures over probe outcomes: FPIR, FNIR, rank-1 rate. */
export { openSetSummary } from './match/open-set.ts';
/** Open-set inputs and results. */
export type { ProbeOutcome, OpenSetSummary } from './match/open-set.ts';
/** Verification (1:1) metrics: ROC, AUC, EER, TAR at FAR, threshold for a FAR, rates at a threshold. */
export { rocCurve, auc, equalErrorRate, tarAtFar, thresholdForFar, ratesAtThreshold, euclideanDistance, cosineDistance } from './metrics/index.ts';
/** Verification metric results. */
export type { RocCurve, EqualErrorRate, OperatingPoint, ThresholdChoice, RatesAtThreshold } from './metrics/index.ts';

// ---- liveness ----
/** Creates a liveness (anti-spoofing) scorer from the pack. */
export { createLivenessScorer } from './liveness/create-scorer.ts';
/** Liveness scorer options and handle. */
export type { LivenessScorerConfig, LivenessScorerWithEvidence } from './liveness/create-scorer.ts';
/** Liveness model names and the scorer interface. */
export { LIVENESS_MODEL_IDS, type LivenessModelId, type LivenessScorer } from './liveness/types.ts';
/** Aggregates a track's per-frame liveness scores into one verdict (k-of-n or mean). */
export { aggregateLiveness } from './liveness/aggregate.ts';
/** Liveness aggregation options and verdict. */
export type { LivenessAggregateOptions, LivenessAggregate, LivenessVerdict, LivenessAggregateMode } from './liveness/aggregate.ts';

// ---- MQTT: device link, enrolment sync, keys ----
/** The device's MQTT link: decisions out (durable), status, commands and enrolment in. */
export { DeviceLink } from './mqtt/device-link.ts';
/** Device link options. */
export type { DeviceLinkOptions } from './mqtt/device-link.ts';
/** What DeviceLink options take: decision input, queue options, status info, command handlers. */
export type { DecisionInput } from './mqtt/decision-message.ts';
export type { DurableQueueOptions } from './mqtt/durable-queue.ts';
export type { StatusInfo, CameraState } from './mqtt/status-message.ts';
export type { CommandHandler } from './mqtt/commands.ts';
/** MQTT topic sets of a device and of a site's enrolment. */
export type { DeviceTopics, EnrollmentTopics } from './mqtt/topics.ts';
/** Enrolment sync's target, model, deltas and state store; template records and their encoding. */
export type { EnrollmentTarget, EnrollmentModel, EnrollmentDelta, SyncStateStore } from './mqtt/enrollment-target.ts';
export type { TemplateRecord, TemplateEncoding, IdentityAttributes } from './mqtt/template-codec.ts';
/** Why a sync message was rejected. */
export type { RejectReason } from './mqtt/enrollment-messages.ts';
/** Publishes a signed enrolment snapshot or delta for devices to sync. */
export { publishSnapshot, publishDelta } from './mqtt/enrollment-publisher.ts';
/** What a publish sent, and where its records come from. */
export type { SnapshotPublished, DeltaPublished, PublishSource } from './mqtt/enrollment-publisher.ts';
/** Applies signed enrolment messages to a device's gallery. */
export { EnrollmentSync } from './mqtt/enrollment-sync.ts';
/** Enrolment sync limits and events. */
export type { SyncLimits, SyncRejectedEvent, SyncAppliedEvent, EnrollmentSyncOptions, SyncHooks, SnapshotRequest } from './mqtt/enrollment-sync.ts';
/** A gallery as the target of enrolment sync. */
export { GalleryEnrollmentTarget } from './mqtt/gallery-target.ts';
/** Enrolment signing keys: create, load, fingerprint. */
export { writeKeyPair, loadPrivateKey, loadPublicKeys, keyId, type WrittenKeyPair } from './mqtt/enrollment-keys.ts';
/** Connects to an MQTT broker with FaceGate's options. */
export { connectBroker } from './mqtt/connect.ts';
/** Broker connection options. */
export type { BrokerOptions } from './mqtt/connect.ts';

// ---- audit log ----
/** The tamper-evident, hash-chained audit log (append). */
export { AuditLog } from './audit/audit-log.ts';
/** Audit log options. */
export type { AuditLogOptions } from './audit/audit-log.ts';
/** Verifies an audit log file's chain (and signature key, when given). */
export { verifyAuditLog } from './audit/verify-log.ts';
/** Verification report and the problems it lists. */
export type { VerifyReport, AuditProblem, ProblemKind } from './audit/verify-log.ts';
/** One audit entry, and the JSON values it holds. */
export type { AuditEntry } from './audit/audit-entry.ts';
export type { JsonValue } from './audit/canonical-json.ts';

// ---- errors and shared types ----
/** The one error type: a FaceGateError carries a stable `code`. */
export { FaceGateError, isFaceGateError, errorMessage } from './errors.ts';
/** The codes a FaceGateError can carry. */
export type { FaceGateErrorCode } from './errors.ts';
/** Frames, boxes, landmarks, faces, detector / embedder interfaces and analysis results. */
export type {
  Frame, Box, Landmarks5, DetectedFace, Detector, Embedder, FaceQuality, AnalyzedFace, StageTimings, AnalyzeResult,
  FallbackUsed, AnalyzedImage, FaceAnalyzer, LabeledImage,
} from './types.ts';
/** Logger interface the SDK writes to (silent by default). */
export type { Logger } from './logger.ts';
