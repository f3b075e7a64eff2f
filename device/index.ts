/**
 * `facegate/device`: the door-terminal runtime for a host program that embeds it (instead of
 * running `facegate run`). Covered by semver like the main entry.
 * @packageDocumentation
 */

/** Starts the terminal from a config: camera -> pipeline -> gallery -> decisions over MQTT and the door output. */
export { startDevice } from './run-device.ts';
/** The running terminal, its hooks and the decisions it publishes. */
export type { RunningDevice, DeviceHooks, PublishedDecision } from './run-device.ts';
/** Reads and validates a device config file (YAML or JSON); parses an already-read object. */
export { loadConfig, parseConfig } from './config/load-config.ts';
/** The device config schema (zod) and its types. */
export { configSchema, type DeviceConfig, type CameraConfig } from './config/schema.ts';
/** The frame loop, its per-frame stats, and the device's Prometheus metrics (what RunningDevice holds). */
export type { FrameLoop, FrameStats } from './loop/frame-loop.ts';
export type { DeviceMetrics } from './health/metrics.ts';
