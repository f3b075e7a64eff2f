/** Public surface of sdk/mqtt: topics, messages, the device link, enrolment sync and publishing. */
export * from './topics.ts';
export { DeviceLink, type DeviceLinkOptions, type DeviceEvent } from './device-link.ts';
export { connectBroker, mqttOptions, describeConnectError, type BrokerOptions } from './connect.ts';
export { DurableQueue, type DurableQueueOptions, type QueuedMessage } from './durable-queue.ts';
export { buildDecisionMessage, DecisionMessage, ulid, ulidTime, type DecisionInput, type DecisionKind } from './decision-message.ts';
export { statusMessage, redactUrl, type StatusInfo, type StatusMessage, type CameraState } from './status-message.ts';
export { haDiscoveryMessages, type HaDiscoveryOptions } from './ha-discovery.ts';
export { parseCommand, CommandRequest, type CommandHandler, type CommandResult } from './commands.ts';
export { EnrollmentSync, DEFAULT_SYNC_LIMITS, type SyncLimits, type SyncHooks, type SyncRejectedEvent, type SyncAppliedEvent, type SnapshotRequest } from './enrollment-sync.ts';
export { type EnrollmentTarget, type EnrollmentModel, type EnrollmentDelta, type SyncStateStore, memorySyncState, fileSyncState } from './enrollment-target.ts';
export { GalleryEnrollmentTarget } from './gallery-target.ts';
export { SyncRejection, MAX_MESSAGE_BYTES, buildSnapshot, buildDeltas, encodeAll, openEnvelope, sealEnvelope, type RejectReason, type ManifestHeader, type ChunkHeader, type DeltaHeader } from './enrollment-messages.ts';
export { publishSnapshot, publishDelta, readRetainedState, diffRecords, onSnapshotRequest, type SnapshotPublished, type DeltaPublished, type PublishSource } from './enrollment-publisher.ts';
export { keyId, writeKeyPair, loadPrivateKey, loadPublicKeys, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from './enrollment-keys.ts';
export { type TemplateRecord, type TemplateEncoding, type IdentityAttributes, encodeRecord, decodeRecords } from './template-codec.ts';
export { toHalfBits, fromHalfBits } from '../runtime/float16.ts';
export { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.ts';
