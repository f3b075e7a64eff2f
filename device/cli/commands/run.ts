import { loadConfig } from '../../config/load-config.ts';
export { redactConfig } from '../../config/redact-config.ts';
import { startDevice } from '../../run-device.ts';
import { preflightConfig } from '../../config/preflight.ts';
import { stderrLogger } from '../../../sdk/logger.ts';
import { redactConfig } from '../../config/redact-config.ts';

/** `facegate run --config <file>`: the door terminal daemon. Decisions go to stdout as JSON lines. */
export default async function run(opts: { config: string; check?: boolean; json?: boolean }): Promise<number> {
  const cfg = await loadConfig(opts.config);
  if (opts.check) {
    await preflightConfig(cfg, `config ${opts.config}`);
    process.stdout.write(opts.json ? JSON.stringify({ ok: true, config: redactConfig(cfg) }) + '\n' : `config ${opts.config} is valid\n`);
    return 0;
  }
  const device = await startDevice(cfg, { logger: stderrLogger, configPath: opts.config, onDecision: (d) => process.stdout.write(JSON.stringify(d) + '\n') });
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
