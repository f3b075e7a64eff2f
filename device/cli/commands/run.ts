import { loadConfig } from '../../config/load-config.ts';
import { startDevice } from '../../run-device.ts';
import { preflightConfig } from '../../config/preflight.ts';
import { stderrLogger } from '../../../sdk/logger.ts';
import { redactUrl } from '../../../sdk/mqtt/status-message.ts';
import type { DeviceConfig } from '../../config/schema.ts';

/** The config as printed: the MQTT password and URL credentials never reach stdout. */
export function redactConfig(cfg: DeviceConfig): DeviceConfig {
  const mqtt = { ...cfg.mqtt, ...(cfg.mqtt.password !== undefined ? { password: '***' } : {}), ...(cfg.mqtt.url ? { url: redactUrl(cfg.mqtt.url) } : {}) };
  const camera = cfg.camera.type === 'stream' ? { ...cfg.camera, url: redactUrl(cfg.camera.url) } : cfg.camera;
  return { ...cfg, mqtt, camera };
}

/** `facegate run --config <file>`: the door terminal daemon. Decisions go to stdout as JSON lines. */
export default async function run(opts: { config: string; check?: boolean; json?: boolean }): Promise<number> {
  const cfg = await loadConfig(opts.config);
  if (opts.check) {
    await preflightConfig(cfg, `config ${opts.config}`);
    process.stdout.write(opts.json ? JSON.stringify({ ok: true, config: redactConfig(cfg) }) + '\n' : `config ${opts.config} is valid\n`);
    return 0;
  }
  const device = await startDevice(cfg, { logger: stderrLogger, onDecision: (d) => process.stdout.write(JSON.stringify(d) + '\n') });
  const stopped = new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      stderrLogger.info('stopping', { signal });
      device.stop().then(() => resolve(0), (e: Error) => { stderrLogger.error('stop failed', { error: e.message }); resolve(1); });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return stopped;
}
