/** What the console's routes need from the running device: composed in run-device.ts. */
import type { Gallery } from '../../sdk/gallery/index.ts';
import type { JsonValue } from '../../sdk/audit/index.ts';
import type { AnalyzedFace, AnalyzeResult, DetectedFace, Frame } from '../../sdk/types.ts';
import type { DetectResult, FallbackUsed } from '../../sdk/pipeline/index.ts';
import type { DeviceConfig } from '../config/schema.ts';
import type { DeviceMetrics } from '../health/metrics.ts';
import type { HealthSnapshot } from '../health/http-server.ts';
import type { MatchOutcome } from '../loop/frame-loop.ts';
import type { Credentials } from './credentials.ts';
import type { DecisionLog } from './decision-log.ts';
import type { LiveHub } from './live-hub.ts';
import type { GuidedCapture } from './guided-capture.ts';
import type { LogRing } from './log-ring.ts';
import type { RecentFaces } from './recent-faces.ts';

/** Pipeline calls serialised with the frame loop's (one model session at a time). */
export interface ConsolePipeline {
  readonly modelId: string;
  detect(image: Uint8Array): Promise<DetectResult>;
  analyze(image: string | Uint8Array, opts?: { fallback?: boolean }): Promise<AnalyzeResult & { fallback?: FallbackUsed }>;
  embedFaces(frame: Frame, faces: readonly DetectedFace[]): Promise<AnalyzedFace[]>;
}

export interface SyncState {
  broker: 'connected' | 'disconnected';
  queued: number;
  galleryVersion: number;
  /** Signed enrolment sync over MQTT configured. */
  enrollmentSync: boolean;
}

export interface ConsoleDeps {
  cfg: DeviceConfig;
  pipeline: ConsolePipeline;
  gallery: Gallery;
  /** Matches with the threshold in force now. */
  match(embedding: Float32Array): MatchOutcome;
  threshold(): { threshold: number; margin: number };
  /**
   * Puts a match threshold (and margin) in force: first written to the config file the device
   * was started from, when it has one (atomic, `.bak` kept, comments kept), then swapped in at
   * once; the next match uses them. A failed write changes nothing. `note` goes in the file.
   */
  applyThreshold(threshold: number, margin: number | undefined, note: string): Promise<{ config: string | null; backup: string | null }>;
  metrics: DeviceMetrics;
  health(): HealthSnapshot;
  /** Frame rate over the last 10 s and latency over the last 100 frames (what the door does now). */
  liveFigures(): { fps: number; latencyP50Ms: number | null; latencyP99Ms: number | null };
  sync(): SyncState;
  models(): { modelId: string; detector: string; embedder: string; precision: string; providers: string[]; liveness: string | null };
  /** Appends to the audit log (no-op when the device runs without one). */
  audit(kind: string, fields: Record<string, JsonValue | undefined>): void;
  /** Identity id as the audit log records it (a keyed pseudonym when the log has a key). */
  auditIdentity(id: string): string;
  logs: LogRing;
  decisions: DecisionLog;
  hub: LiveHub;
  capture: GuidedCapture;
  recent: RecentFaces;
  credentials: Credentials;
}
