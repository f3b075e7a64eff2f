/**
 * What the console does must outlive the process: decisions made, the device stopped and started
 * again from the same config file, `/api/v1/decisions` still lists them (it reads the decision
 * history, not memory); a threshold applied from the console is written into that config file
 * (comments and other keys kept, `.bak` beside it) and is in force after the restart.
 * Real models, an lfw-dev photo on a files camera, the embedded broker.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_DIR, needData, needModels } from '../../helpers/pack.ts';
import { ADMIN_PASSWORD, ConsoleClient } from '../../helpers/console-device.ts';
import { loadConfig } from '../../../device/config/load-config.ts';
import { startDevice, type RunningDevice } from '../../../device/run-device.ts';
import { Credentials, defaultCredentialsPath } from '../../../device/console/credentials.ts';

const skip = needData('lfw-dev') || needModels('mtcnn-pnet', 'mobilefacenet-192');
const lfw = join(DATA_DIR ?? '', 'lfw-dev', 'images');
let running: RunningDevice | undefined;
after(async () => { await running?.stop(); });

const CONFIG = `# door 1 (site test) — operator comments must survive an apply
site: test
device: door-1
camera: { type: files, path: camera.jpg, fps: 4, loop: true }
mqtt: { embeddedPort: 0, homeAssistant: false }
gallery: { db: gallery }
match:
  threshold: 1.0 # first guess
  margin: 0.05
pipeline: { detector: mtcnn, embedder: mobilefacenet-192, minFaceSize: 20 }
decision: { votes: 2, window: 3, minInterEyePx: 25, minBlur: 10, cooldownSec: 60 }
liveness: { enabled: false }
http: { port: 0 }
console: { enabled: true, port: 0 }
`;

async function start(path: string): Promise<ConsoleClient> {
  running = await startDevice(await loadConfig(path), { configPath: path });
  const c = new ConsoleClient(new URL(running.consoleUrl!).origin);
  assert.equal((await c.login()).status, 200);
  return c;
}

interface Row { seq: number; id: string; decision: string; latencyMs: number | null }

test('decisions and an applied threshold survive a restart; the config file keeps its comments', { skip, timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-console-restart-'));
  const path = join(dir, 'facegate.yaml');
  await writeFile(path, CONFIG);
  // Nobody is enrolled: the face on camera is decided unknown.
  await copyFile(join(lfw, 'Aaron_Sorkin', 'Aaron_Sorkin_0001.jpg'), join(dir, 'camera.jpg'));
  await (await Credentials.open(defaultCredentialsPath(join(dir, 'gallery')))).setAdminPassword(ADMIN_PASSWORD);

  let c = await start(path);
  let made: Row[] = [];
  for (const end = Date.now() + 120_000; made.length === 0 && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 500));
    made = ((await (await c.fetch('/api/v1/decisions')).json()) as { decisions: Row[] }).decisions;
  }
  assert.ok(made.length > 0, 'a decision was made');
  assert.equal(made[0].decision, 'unknown');
  assert.ok(made[0].latencyMs !== null && made[0].latencyMs >= 0);

  const applied = await (await c.json('/api/v1/calibration/threshold', 'POST', { threshold: 0.87, margin: 0.04 })).json() as { persisted: boolean; config: string; backup: string; after: { threshold: number } };
  assert.deepEqual([applied.persisted, applied.config, applied.after.threshold], [true, path, 0.87]);
  assert.equal(await readFile(applied.backup, 'utf8'), CONFIG, 'the old file is kept as .bak');
  const text = await readFile(path, 'utf8');
  assert.match(text, /^# door 1 \(site test\) — operator comments must survive an apply/);
  assert.match(text, /threshold: 0\.87 #.*applied from the console by admin:admin/);
  assert.match(text, /margin: 0\.04/);
  assert.match(text, /camera: \{ type: files, path: camera\.jpg, fps: 4, loop: true \}/, 'other keys untouched');

  await running!.stop();
  running = undefined;
  c = await start(path);
  const after = ((await (await c.fetch('/api/v1/decisions')).json()) as { decisions: Row[] }).decisions;
  const ids = new Set(after.map((d) => d.id));
  for (const d of made) assert.ok(ids.has(d.id), `decision ${d.seq} (${d.id}) is still listed after the restart`);
  const kept = after.find((d) => d.id === made[0].id)!;
  assert.deepEqual([kept.seq, kept.latencyMs], [made[0].seq, made[0].latencyMs]);
  const status = await (await c.fetch('/api/v1/status')).json() as { match: { threshold: number } };
  assert.equal(status.match.threshold, 0.87, 'the applied threshold is in force after the restart');
  assert.equal(((await (await c.fetch('/api/v1/calibration')).json()) as { margin: number }).margin, 0.04);
});
