/**
 * Fuzzing the hostile-input entry points: malformed images through the decoder (`loadFrame`),
 * MQTT payloads through a real Mosquitto into a DeviceLink's subscribed topics, and config files
 * through `loadConfig`. Seeded: the same seed generates the same cases. Prints counts of
 * accepted inputs, clear errors, unclear errors, crashes and hangs per target.
 *
 *   node --import tsx test/bench/fuzz.ts [--seed 1] [--images 10000] [--mqtt 2500] [--configs 2500] [--timeout-ms 5000] [--json]
 */
import { runFuzz } from '../helpers/fuzz/run-fuzz.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const json = process.argv.includes('--json');
const opts = {
  seed: Number(arg('seed', '1')),
  images: Number(arg('images', '10000')),
  mqtt: Number(arg('mqtt', '2500')),
  configs: Number(arg('configs', '2500')),
  timeoutMs: Number(arg('timeout-ms', '5000')),
};
for (const [k, v] of Object.entries(opts)) {
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`bench/fuzz: --${k} must be a non-negative integer`);
    process.exit(2);
  }
}

const s = await runFuzz({ ...opts, onProgress: (t, d, n) => process.stderr.write(`fuzz ${t}: ${d}/${n}\n`) });
if (json) process.stdout.write(JSON.stringify(s) + '\n');
else {
  console.log(`fuzz seed ${s.seed}: ${s.total.cases} cases in ${s.wallS} s, peak RSS ${s.rssMaxMiB} MiB`);
  for (const [name, t] of Object.entries(s.targets)) {
    if ('skipped' in t) { console.log(`  ${name}: skipped (${t.skipped})`); continue; }
    console.log(`  ${name}: ${t.cases} cases: ${t.ok} accepted, ${t.clear} clear errors, ${t.unclear} unclear, ${t.crash} crashes, ${t.hang} hangs; clear-error rate ${(100 * t.clearErrorRate).toFixed(2)}%; max ${t.maxMs} ms, p99 ${t.p99Ms} ms`);
    console.log(`    kinds: ${Object.entries(t.kinds).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    for (const e of t.examples) console.log(`    #${e.index} ${e.kind} -> ${e.outcome}: ${e.message}`);
  }
  console.log(`  total: ${s.total.crash} crashes, ${s.total.hang} hangs, ${s.total.unclear} unclear; clear-error rate ${(100 * s.total.clearErrorRate).toFixed(2)}%`);
}
process.exitCode = s.total.crash + s.total.hang + s.total.unclear > 0 ? 1 : 0;
