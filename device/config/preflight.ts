/**
 * Every check `run` makes on a config before it opens anything: files it will read, keys and their
 * permissions, the broker URL and its TLS rule, and a sane threshold. `run --check` runs exactly
 * this, so a config it passes is one `run` does not refuse for these reasons. Nothing here
 * creates, opens for writing or connects; problems are listed together as `key: problem`.
 */
import { stat } from 'node:fs/promises';
import { FaceGateError, errorMessage } from '../../sdk/errors.ts';
import { loadSiteKey, KEY_ENV } from '../../sdk/security/site-key.ts';
import { readAuditKey } from '../../sdk/audit/audit-key.ts';
import { loadPublicKeys } from '../../sdk/mqtt/enrollment-keys.ts';
import { loadEnrollmentKeys } from '../../sdk/mqtt/enrollment-cipher.ts';
import { redactUrl } from '../../sdk/mqtt/status-message.ts';
import { looseThresholdProblem } from '../../sdk/match/impostor-floor.ts';
import type { DeviceConfig } from './schema.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/;

/** The broker URL's problem (unparsable, or plain MQTT to a non-loopback host without `insecure`), or null. */
export function brokerUrlProblem(url: string, insecure: boolean): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${redactUrl(url)}" is not a URL (e.g. mqtts://host:8883)`;
  }
  const tls = u.protocol === 'mqtts:' || u.protocol === 'wss:' || u.protocol === 'ssl:';
  if (!tls && !LOOPBACK.test(u.hostname) && !insecure) {
    return `${u.protocol}//${u.hostname} is not loopback and not TLS; use mqtts:// or set mqtt.insecure: true`;
  }
  return null;
}

async function fileProblem(path: string, what: string): Promise<string | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? null : `${what} ${path} is not a regular file`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return `${what} ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? errorMessage(e)})`}`;
  }
}

/** Problems as `key: message` lines; empty when `run` would accept the config. */
export async function configProblems(cfg: DeviceConfig, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const out: string[] = [];
  const add = (key: string, problem: string | null) => { if (problem) out.push(`${key}: ${problem}`); };
  const attempt = async (key: string, fn: () => unknown) => {
    try {
      await fn();
    } catch (e) {
      add(key, errorMessage(e));
    }
  };

  if (cfg.mqtt.url) add('mqtt.url', brokerUrlProblem(cfg.mqtt.url, cfg.mqtt.insecure));
  for (const [k, what] of [['ca', 'CA file'], ['cert', 'client certificate'], ['key', 'client key']] as const) {
    const p = cfg.mqtt[k];
    if (p) add(`mqtt.${k}`, await fileProblem(p, what));
  }
  const pub = cfg.mqtt.enrollmentPublicKey;
  if (pub) await attempt('mqtt.enrollmentPublicKey', () => loadPublicKeys(pub));
  const fleet = cfg.mqtt.enrollmentKeys;
  if (fleet) await attempt('mqtt.enrollmentKeys', () => loadEnrollmentKeys(fleet));
  if (fleet && !pub) add('mqtt.enrollmentKeys', 'needs mqtt.enrollmentPublicKey (enrolment sync is off without it)');

  await attempt(cfg.gallery.keyFile ? 'gallery.keyFile' : KEY_ENV, () => loadSiteKey({ keyFile: cfg.gallery.keyFile, env }));
  const auditKey = cfg.audit.keyFile;
  if (cfg.audit.enabled && auditKey) await attempt('audit.keyFile', () => readAuditKey(auditKey));

  if (cfg.camera.type === 'files') {
    const path = cfg.camera.path;
    await stat(path).catch((e: NodeJS.ErrnoException) => add('camera.path', `${path} ${e.code === 'ENOENT' ? 'does not exist' : `cannot be read (${e.code})`}`));
  }

  if (!cfg.match.allowLooseThreshold && cfg.match.threshold !== undefined) {
    const loose = looseThresholdProblem(cfg.pipeline.embedder, cfg.match.threshold);
    if (loose) add('match.threshold', `${loose}; calibrate with \`facegate calibrate --target-far 0.001 --write-config\`, or set match.allowLooseThreshold: true (lab only)`);
  }
  return out;
}

/** Throws FG_CONFIG_INVALID listing every problem `configProblems` finds. */
export async function preflightConfig(cfg: DeviceConfig, source = 'config', env?: NodeJS.ProcessEnv): Promise<void> {
  const problems = await configProblems(cfg, env);
  if (problems.length) {
    throw new FaceGateError('FG_CONFIG_INVALID', `${source} is invalid:\n  ${problems.join('\n  ')}`, { details: { problems } });
  }
}
