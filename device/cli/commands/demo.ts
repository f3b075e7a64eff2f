import { runDemo } from '../../demo.ts';
import { stderrLogger, silentLogger } from '../../../sdk/logger.ts';

/** `facegate demo`: the main job on the embedded default (see README). */
export default async function demo(opts: { path?: string; enroll?: string; workdir?: string; threshold?: string; fps?: string; json?: boolean; verbose?: boolean; console?: boolean; consolePort?: string; stay?: boolean }): Promise<number> {
  const line = (d: { decision: string; identity: string | null; distance: number; frames: number; latencyMs: number; id: string }) =>
    `${d.decision.padEnd(8)} ${(d.identity ?? '-').padEnd(16)} distance ${d.distance.toFixed(3)}  (${d.frames} frames, ${d.latencyMs} ms)  id ${d.id}\n`;
  if (!opts.json) process.stderr.write('facegate demo: enrolling, then replaying photos as a camera...\n');
  // Interactive runs keep the console open after the replay, until Ctrl-C; scripts (--json, a pipe) end with the replay.
  const stay = opts.console !== false && (opts.stay ?? (!opts.json && process.stdout.isTTY === true));
  const stayUntil = stay ? new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); }) : undefined;
  const summary = await runDemo({
    path: opts.path, enroll: opts.enroll, workdir: opts.workdir,
    threshold: opts.threshold === undefined ? undefined : Number(opts.threshold),
    fps: opts.fps === undefined ? undefined : Number(opts.fps),
    logger: opts.verbose ? stderrLogger : silentLogger,
    onDecision: opts.json ? undefined : (d) => process.stdout.write(line(d)),
    console: opts.console === false ? false : {
      port: opts.consolePort === undefined ? undefined : Number(opts.consolePort),
      onReady: (url, password) => process.stderr.write(`console: ${url}  user admin  one-time password ${password}${stay ? '  (stays open after the replay; Ctrl-C to stop)' : ''}\n`),
    },
    stay: stayUntil,
  });
  if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else {
    const by = (k: string) => summary.decisions.filter((d) => d.decision === k).length;
    process.stdout.write(`\n${summary.enrolled.length} enrolled, ${summary.frames} frames, decisions: ${by('grant')} grant, ${by('unknown')} unknown, ${by('deny')} deny; `
      + `${summary.receivedOverMqtt} received by an MQTT subscriber on ${summary.broker}\n`);
  }
  return 0;
}
