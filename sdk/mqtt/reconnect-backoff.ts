/**
 * Reconnect delays for a broker that keeps refusing us (wrong password, broker down): exponential
 * backoff with jitter, so a fleet neither hammers the broker every second nor retries in step.
 */
import type { MqttClient } from 'mqtt';

export interface BackoffOptions {
  /** First delay, ms (default 1000). */
  baseMs?: number;
  /** Largest delay, ms (default 60 000). */
  maxMs?: number;
}

/**
 * Delay before retry number `attempt` (0 = first): min(max, base·2^attempt) scaled by a factor in
 * [0.5, 1) drawn from `random` ("equal jitter": never under half the step, never over the cap).
 */
export function backoffDelay(attempt: number, o: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = o.baseMs ?? 1000;
  const max = Math.max(base, o.maxMs ?? 60_000);
  const step = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(step * (0.5 + 0.5 * random()));
}

/**
 * Drives mqtt.js's reconnects with backoffDelay: after each failed attempt the retry timer is set
 * again with the next delay; a CONNACK resets it. mqtt.js has only a fixed `reconnectPeriod`
 * (one setInterval per outage), so this re-arms that timer through its two internal methods,
 * present in mqtt 5; without them the fixed period stays.
 */
export function applyReconnectBackoff(client: MqttClient, o: BackoffOptions = {}, random: () => number = Math.random): { readonly attempt: number; readonly nextDelayMs: number } {
  const internal = client as unknown as { _clearReconnect?: () => void; _setupReconnect?: () => void; reconnecting?: boolean; disconnecting?: boolean };
  const state = { attempt: 0, nextDelayMs: o.baseMs ?? 1000 };
  client.on('connect', () => {
    state.attempt = 0;
    client.options.reconnectPeriod = o.baseMs ?? 1000;
  });
  // Registered after mqtt.js's own 'close' handler, which has just armed the timer.
  client.on('close', () => {
    if (internal.disconnecting || !internal.reconnecting || !internal._clearReconnect || !internal._setupReconnect) return;
    state.nextDelayMs = backoffDelay(state.attempt++, o, random);
    client.options.reconnectPeriod = state.nextDelayMs;
    internal._clearReconnect.call(client);
    internal._setupReconnect.call(client);
  });
  return state;
}
