/**
 * Topic layout. Roots are fixed by the protocol (docs/mqtt.md): device topics under
 * `facegate/<site>/<device>/`, the site's enrolment under `facegate/<site>/enrollment/`, Home
 * Assistant discovery under `homeassistant/`. Site and device names become topic levels, so they
 * are restricted to characters that can never act as wildcards or separators.
 */
import { FaceGateError } from '../errors.ts';

export const TOPIC_ROOT = 'facegate';
export const HA_PREFIX = 'homeassistant';

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Throws FG_CONFIG_INVALID unless `value` is a safe single topic level (no `/ + #`, no NUL). */
export function assertTopicSegment(kind: 'site' | 'device' | 'command', value: string): string {
  if (typeof value !== 'string' || !SEGMENT.test(value)) {
    throw new FaceGateError('FG_CONFIG_INVALID',
      `${kind} "${String(value)}" is not a valid MQTT topic level: use 1-64 of A-Z a-z 0-9 _ . - (starting with a letter or digit)`);
  }
  return value;
}

/** Turns a free-form name (a hostname, say) into a valid topic level. */
export function toTopicSegment(value: string): string {
  const s = value.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return s.length > 0 ? s : 'device';
}

export interface DeviceTopics {
  status: string;
  decision: string;
  /** Retained summary of the last decision (last-decision.ts): a state for dashboards, never a decision. */
  lastDecision: string;
  event: string;
  /** `cmd/+`: one level, so results (`cmd/<name>/result`) never match it. */
  commandFilter: string;
  command(name: string): string;
  commandResult(name: string): string;
}

export function deviceTopics(site: string, device: string): DeviceTopics {
  const base = `${TOPIC_ROOT}/${assertTopicSegment('site', site)}/${assertTopicSegment('device', device)}`;
  return {
    status: `${base}/status`,
    decision: `${base}/decision`,
    lastDecision: `${base}/last-decision`,
    event: `${base}/event`,
    commandFilter: `${base}/cmd/+`,
    command: (name) => `${base}/cmd/${assertTopicSegment('command', name)}`,
    commandResult: (name) => `${base}/cmd/${assertTopicSegment('command', name)}/result`,
  };
}

/** Name of the command addressed by `topic`, or undefined when it is not a command topic of `t`. */
export function commandName(t: DeviceTopics, topic: string): string | undefined {
  const prefix = t.commandFilter.slice(0, -1);
  if (!topic.startsWith(prefix)) return undefined;
  const name = topic.slice(prefix.length);
  return name.length > 0 && !name.includes('/') ? name : undefined;
}

export interface EnrollmentTopics {
  base: string;
  /** Retained, signed snapshot manifest (the newest snapshot). */
  manifest: string;
  /** Retained chunks of snapshot `version`. Versioned so a newer manifest never meets stale chunks. */
  chunk(version: number, index: number): string;
  chunkFilter(version: number): string;
  /** Retained deltas on top of the current snapshot, one topic per version. */
  delta(version: number): string;
  deltaFilter: string;
  /** Devices ask the site's enrolment service for a fresh snapshot here (a gap in deltas). */
  request: string;
}

export function enrollmentTopics(site: string): EnrollmentTopics {
  const base = `${TOPIC_ROOT}/${assertTopicSegment('site', site)}/enrollment`;
  return {
    base,
    manifest: `${base}/snapshot/manifest`,
    chunk: (version, index) => `${base}/snapshot/${version}/chunk/${index}`,
    chunkFilter: (version) => `${base}/snapshot/${version}/chunk/+`,
    delta: (version) => `${base}/delta/${version}`,
    deltaFilter: `${base}/delta/+`,
    request: `${base}/request`,
  };
}

export type EnrollmentTopicKind =
  | { kind: 'manifest' }
  | { kind: 'chunk'; version: number; index: number }
  | { kind: 'delta'; version: number }
  | { kind: 'request' };

const UINT = /^(0|[1-9][0-9]{0,15})$/;

/** Classifies an enrolment topic; undefined for anything else (including malformed numbers). */
export function parseEnrollmentTopic(t: EnrollmentTopics, topic: string): EnrollmentTopicKind | undefined {
  if (topic === t.manifest) return { kind: 'manifest' };
  if (topic === t.request) return { kind: 'request' };
  if (!topic.startsWith(t.base + '/')) return undefined;
  const parts = topic.slice(t.base.length + 1).split('/');
  if (parts.length === 4 && parts[0] === 'snapshot' && parts[2] === 'chunk' && UINT.test(parts[1]) && UINT.test(parts[3])) {
    const version = Number(parts[1]);
    const index = Number(parts[3]);
    if (Number.isSafeInteger(version) && Number.isSafeInteger(index)) return { kind: 'chunk', version, index };
  }
  if (parts.length === 2 && parts[0] === 'delta' && UINT.test(parts[1])) {
    const version = Number(parts[1]);
    if (Number.isSafeInteger(version)) return { kind: 'delta', version };
  }
  return undefined;
}

/** Home Assistant's birth/will topic: discovery is re-published when it says `online`. */
export const haStatusTopic = (prefix = HA_PREFIX): string => `${prefix}/status`;
