/**
 * Broker connection options (TCP or TLS, username/password, client certificates) mapped onto
 * mqtt.js, and a first connect that turns the usual failures into one clear FG_MQTT message.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { FaceGateError, errorMessage } from '../errors.ts';
import { redactUrl } from './status-message.ts';

export interface BrokerOptions {
  /** mqtt://, mqtts://, ws://, wss:// */
  url: string;
  username?: string;
  password?: string;
  /** PEM text or a path to a PEM file. */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Verify the server certificate (default true; turning it off is only for lab brokers). */
  rejectUnauthorized?: boolean;
  /** TLS server name when it differs from the URL host. */
  servername?: string;
  clientId?: string;
  keepaliveS?: number;
  /** First reconnect delay, ms (default 1000); later ones double, with jitter, up to reconnectMaxMs. */
  reconnectPeriodMs?: number;
  /** Largest reconnect delay, ms (default 60 000; DeviceLink only). */
  reconnectMaxMs?: number;
  connectTimeoutMs?: number;
  protocolVersion?: 4 | 5;
}

/** A PEM given as text stays text; anything else is read as a file path. */
function pem(v: string | Buffer | undefined, what: string): string | Buffer | undefined {
  if (v === undefined || Buffer.isBuffer(v) || v.includes('-----BEGIN')) return v;
  try {
    return readFileSync(v);
  } catch (e) {
    throw new FaceGateError('FG_CONFIG_INVALID', `cannot read MQTT ${what} ${v}: ${errorMessage(e)}`, { cause: e });
  }
}

export function mqttOptions(b: BrokerOptions, extra: Partial<IClientOptions> = {}): IClientOptions {
  let proto: string;
  try {
    proto = new URL(b.url).protocol;
  } catch {
    throw new FaceGateError('FG_CONFIG_INVALID', `MQTT broker URL "${redactUrl(b.url)}" is not a URL (e.g. mqtt://host:1883 or mqtts://host:8883)`);
  }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:', 'tls:'].includes(proto)) {
    throw new FaceGateError('FG_CONFIG_INVALID', `MQTT broker URL "${redactUrl(b.url)}" has unsupported scheme ${proto} (use mqtt, mqtts, ws or wss)`);
  }
  const o: IClientOptions = {
    protocolVersion: b.protocolVersion ?? 4,
    keepalive: b.keepaliveS ?? 30,
    reconnectPeriod: b.reconnectPeriodMs ?? 1000,
    connectTimeout: b.connectTimeoutMs ?? 10_000,
    rejectUnauthorized: b.rejectUnauthorized ?? true,
    ...extra,
  };
  if (b.clientId) o.clientId = b.clientId;
  if (b.username !== undefined) o.username = b.username;
  if (b.password !== undefined) o.password = b.password;
  const ca = pem(b.ca, 'CA');
  const cert = pem(b.cert, 'client certificate');
  const key = pem(b.key, 'client key');
  if (ca) o.ca = ca;
  if (cert) o.cert = cert;
  if (key) o.key = key;
  if (b.servername) o.servername = b.servername;
  return o;
}

const TLS_HINTS: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate is signed by an unknown CA; set the broker CA file',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server uses a self-signed certificate; set it as the CA file',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate chain cannot be verified; set the broker CA file',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the server certificate is signed by an unknown CA; set the broker CA file',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not name this host; use the host it was issued for or set servername',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  ECONNREFUSED: 'nothing listens there (is the broker running?)',
  ENOTFOUND: 'the host name does not resolve',
  ECONNRESET: 'the broker closed the connection (a TLS listener spoken to without TLS, or a client certificate it refused?)',
  EPROTO: 'TLS protocol error (plain MQTT port spoken to with TLS, or a refused client certificate?)',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the broker requires a client certificate; set the client certificate and key',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the broker refused the client certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the broker does not trust the client certificate issuer',
  ERR_SSL_WRONG_VERSION_NUMBER: 'not a TLS port (use mqtt:// for a plain listener)',
};

/** One sentence naming what went wrong when connecting to `url`. */
export function describeConnectError(e: unknown, url: string): string {
  const where = `MQTT broker ${redactUrl(url)}`;
  const err = e as { code?: unknown; message?: string };
  if (typeof err.code === 'number') {
    if (err.code === 4 || err.code === 134) return `${where} refused the connection: bad username or password (CONNACK ${err.code})`;
    if (err.code === 5 || err.code === 135) return `${where} refused the connection: not authorized (CONNACK ${err.code}); check the username/password or client certificate`;
    return `${where} refused the connection: ${err.message ?? 'unknown reason'} (CONNACK ${err.code})`;
  }
  const code = typeof err.code === 'string' ? err.code : undefined;
  const hint = code ? TLS_HINTS[code] : undefined;
  // OpenSSL errors carry a short `reason`; their message is a raw library trace.
  const reason = (e as { reason?: unknown }).reason;
  const text = typeof reason === 'string' && code?.startsWith('ERR_SSL_') ? `TLS: ${reason}` : errorMessage(e);
  return `cannot connect to ${where}: ${text}${hint ? ` — ${hint}` : ''}`;
}

/** True for failures retrying will not fix (credentials, certificates, protocol). */
export function isPermanentConnectError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'number') return true;
  if (typeof code !== 'string') return false;
  return code.startsWith('ERR_SSL_') || (code in TLS_HINTS && !['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET'].includes(code));
}

/**
 * Connects and waits for the first CONNACK. Rejects with FG_MQTT on a permanent error at once,
 * otherwise after `timeoutMs` with the last error seen; the client is ended on failure.
 */
export async function connectBroker(b: BrokerOptions, extra: Partial<IClientOptions> = {}, timeoutMs = 10_000): Promise<MqttClient> {
  const client = mqtt.connect(b.url, mqttOptions(b, extra));
  await waitConnected(client, b.url, timeoutMs).catch(async (e) => {
    await client.endAsync(true).catch(() => undefined);
    throw e;
  });
  return client;
}

/** Resolves on the client's next `connect`; see connectBroker for failures. */
export function waitConnected(client: MqttClient, url: string, timeoutMs: number): Promise<void> {
  if (client.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let last: unknown;
    const done = (err?: unknown) => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      if (err === undefined) resolve();
      else reject(new FaceGateError('FG_MQTT', describeConnectError(err, url), { cause: err }));
    };
    const onConnect = () => done();
    const onError = (e: unknown) => {
      last = e;
      if (isPermanentConnectError(e)) done(e);
    };
    const timer = setTimeout(() => done(last ?? new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
    client.on('connect', onConnect);
    client.on('error', onError);
  });
}
