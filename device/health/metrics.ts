import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const STAGE_BUCKETS_MS = [1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 250, 500, 1000, 2500];

/** The device's Prometheus metrics, on a registry of its own (no global state between devices). */
export class DeviceMetrics {
  readonly registry = new Registry();
  readonly frames = new Counter({ name: 'facegate_frames_total', help: 'Frames processed by the pipeline', registers: [this.registry] });
  readonly framesDropped = new Counter({ name: 'facegate_frames_dropped_total', help: 'Frames dropped because the pipeline was busy (latest frame wins)', registers: [this.registry] });
  readonly badFrames = new Counter({ name: 'facegate_frames_bad_total', help: 'Frames that could not be decoded', registers: [this.registry] });
  readonly fps = new Gauge({ name: 'facegate_fps', help: 'Processed frames per second (10 s window)', registers: [this.registry] });
  readonly stageMs = new Histogram({ name: 'facegate_stage_ms', help: 'Per-stage latency in ms', labelNames: ['stage'] as const, buckets: STAGE_BUCKETS_MS, registers: [this.registry] });
  readonly decisions = new Counter({ name: 'facegate_decisions_total', help: 'Decisions by kind', labelNames: ['decision', 'reason'] as const, registers: [this.registry] });
  readonly brokerConnected = new Gauge({ name: 'facegate_broker_connected', help: '1 when connected to the MQTT broker', registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'facegate_decision_queue_depth', help: 'Decisions stored locally, not yet acknowledged by the broker', registers: [this.registry] });
  readonly gallerySize = new Gauge({ name: 'facegate_gallery_identities', help: 'Enrolled identities', registers: [this.registry] });
  readonly matchThreshold = new Gauge({ name: 'facegate_match_threshold', help: 'Distance threshold in effect (derived from match.fpir and the gallery size, or match.threshold)', registers: [this.registry] });
  readonly matchImpliedFpir = new Gauge({ name: 'facegate_match_implied_fpir', help: 'Strangers granted per decision that the threshold implies for the current gallery (impostor-tail model; -1 when unknown)', registers: [this.registry] });
  readonly matchTargetFpir = new Gauge({ name: 'facegate_match_target_fpir', help: 'Target strangers granted per decision (match.fpir)', registers: [this.registry] });
  readonly galleryVersion = new Gauge({ name: 'facegate_gallery_version', help: 'Applied gallery version', registers: [this.registry] });
  readonly cameraUp = new Gauge({ name: 'facegate_camera_up', help: '1 when the camera source delivers frames', registers: [this.registry] });
  readonly cameraRestarts = new Counter({ name: 'facegate_camera_restarts_total', help: 'Camera source restarts', registers: [this.registry] });
  readonly errors = new Counter({ name: 'facegate_errors_total', help: 'Errors by area', labelNames: ['area'] as const, registers: [this.registry] });
  readonly livenessEnabled = new Gauge({ name: 'facegate_liveness_enabled', help: '1 when the presentation-attack gate is on', registers: [this.registry] });
  readonly livenessMs = new Histogram({ name: 'facegate_liveness_ms', help: 'Liveness scoring time per face in ms (crop + inference)', buckets: STAGE_BUCKETS_MS, registers: [this.registry] });
  readonly presentationAttacks = new Counter({ name: 'facegate_presentation_attacks_total', help: 'Tracks denied as presentation attacks (a photo or screen of an enrolled person)', registers: [this.registry] });

  #frameTimes: number[] = [];
  /** Records one processed frame and updates the fps gauge over a 10 s window. */
  frameDone(nowMs: number): void {
    this.frames.inc();
    this.#frameTimes.push(nowMs);
    while (this.#frameTimes.length && nowMs - this.#frameTimes[0] > 10_000) this.#frameTimes.shift();
    const span = (nowMs - this.#frameTimes[0]) / 1000;
    this.fps.set(span > 0 ? (this.#frameTimes.length - 1) / span : 0);
  }
}
