/**
 * `facegate run` end to end with an encrypted gallery (SECURITY.md, issue 19 item 14): a site key
 * from `facegate gallery keygen`, a gallery enrolled from lfw-dev photos with the real CLI and
 * that key, a files camera showing other photos of the person, a real Mosquitto. The grant
 * arrives over MQTT; no gallery file holds the identity id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { REPO_ROOT } from '../../../models/paths.ts';
import { DATA_DIR, needData, needModels } from '../../helpers/pack.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';
import { Collector } from '../../helpers/mqtt-collector.ts';
import { waitFor } from '../../helpers/ports.ts';

const skip = needData('lfw-dev') || needModels('mtcnn-pnet', 'mobilefacenet-192') || (hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)');
const bin = join(REPO_ROOT, 'bin', 'facegate.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 180_000 });

test('facegate run with an encrypted gallery: a grant on a real Mosquitto; no gallery file names the person', { skip, timeout: 240_000 }, async () => {
  const lfw = join(DATA_DIR, 'lfw-dev');
  const gallery = parse(await readFile(join(lfw, 'ident_gallery.csv')), { columns: true, skip_empty_lines: true }) as { identity: string; image: string }[];
  const probes = parse(await readFile(join(lfw, 'ident_probes.csv')), { columns: true, skip_empty_lines: true }) as { image: string; true_identity: string }[];
  const id = gallery[0].identity;
  const enrol = gallery.filter((g) => g.identity === id).map((g) => join(lfw, 'images', g.image));
  const shown = probes.filter((p) => p.true_identity === id).slice(0, 2).map((p) => join(lfw, 'images', p.image));
  const work = await mkdtemp(join(tmpdir(), 'fg-enc-run-'));
  const broker = await Mosquitto.start();
  try {
    const key = join(work, 'site.key');
    const db = join(work, 'gallery');
    let r = cli('gallery', 'keygen', '--out', key, '--json');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    r = cli('enroll', '--db', db, '--key-file', key, '--embedder', 'mobilefacenet-192', '--id', id, ...enrol, '--json');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    // Without the key the gallery does not open.
    assert.equal(cli('gallery', '--db', db, '--json').status, 1);

    const frames = join(work, 'frames');
    await mkdir(frames);
    let i = 0;
    for (const src of [shown[0], shown[0], shown[0], shown[1], shown[1], shown[1]]) await copyFile(src, join(frames, `${String(++i).padStart(3, '0')}.jpg`));
    const cfgPath = join(work, 'device.json');
    await writeFile(cfgPath, JSON.stringify({
      site: 'enc', device: 'door-1', camera: { type: 'files', path: frames, fps: 2, loop: false },
      mqtt: { url: broker.url, homeAssistant: false, queueDb: join(work, 'queue.sqlite') },
      gallery: { db, keyFile: key },
      match: { threshold: 1.0, margin: 0.05 },
      pipeline: { detector: 'mtcnn', embedder: 'mobilefacenet-192', minFaceSize: 40 },
      decision: { votes: 2, window: 3, minInterEyePx: 15, minBlur: 5, cooldownSec: 60 },
      http: { port: 0 },
    }));
    const sub = await Collector.start(broker.url, ['facegate/enc/door-1/#']);
    const child = spawn(process.execPath, [bin, 'run', '--config', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    try {
      const decisions = () => sub.json<{ decision: string; identity: string | null }>('facegate/enc/door-1/decision');
      await waitFor(() => decisions().length > 0 || child.exitCode !== null, 180_000, 'a decision');
      assert.equal(child.exitCode, null, stderr.slice(-2000));
      assert.deepEqual(decisions().map((d) => [d.decision, d.identity]), [['grant', id]]);
      child.kill('SIGTERM');
      assert.equal(await new Promise<number | null>((res) => child.once('exit', (c) => res(c))), 0, stderr.slice(-2000));
    } finally {
      child.kill('SIGKILL');
      await sub.close();
    }
    // The run (open, match, close) left no identity id in clear under the gallery directory.
    for (const f of await readdir(db)) {
      const bytes = await readFile(join(db, f)).catch(() => Buffer.alloc(0));
      assert.equal(bytes.includes(Buffer.from(id)), false, `${f} holds "${id}"`);
    }
  } finally {
    await broker.dispose();
    await rm(work, { recursive: true, force: true });
  }
});
