/**
 * What calibration needs to record a threshold in a device config. The device (outermost layer)
 * supplies the writer, so this offline tool never imports the daemon's config code.
 */

export interface CalibrationRecord {
  threshold: number;
  date: string;
  dataSha256: string;
  modelId: string;
  detector: string;
  embedder: string;
  flip: boolean;
  summary: string;
}

export interface WriteConfigResult {
  path: string;
  backup: string;
  /** Sidecar JSON with the calibration record (JSON configs only). */
  record: string | null;
  previousThreshold: number | null;
}

/** The pipeline a threshold was measured with. */
export interface CalibratedPipeline { detector: string; embedder: string; flip: boolean }

export interface ConfigWriter {
  /** Before any model work: the config must be readable, valid, and run the calibrated pipeline. */
  preflight(path: string, pipe: CalibratedPipeline): Promise<void>;
  /** Sets the threshold in the config (atomically, with a backup). */
  write(path: string, rec: CalibrationRecord): Promise<WriteConfigResult>;
}
