import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../models/paths.ts';
import { needModels } from '../../helpers/pack.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';

function facegate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO_ROOT, 'bin', 'facegate.js'), ...args], { cwd: REPO_ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

interface Entry {
  image: string; width?: number; height?: number; ms?: number;
  faces?: { box: number[]; score: number; landmarks: number[][] }[];
  error?: { code: string; message: string };
}

for (const [detector, models] of [['mtcnn', ['mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet']], ['rfb', ['rfb-320', 'landmark-68']]] as const) {
  test(`facegate detect --json --detector ${detector}: faces per image, a bad file reported, exit 1`, { skip: needModels(...models) }, async () => {
    const photos = await demoPhotos();
    const dir = await mkdtemp(join(tmpdir(), 'fg-detect-'));
    const bad = join(dir, 'corrupt.jpg');
    await writeFile(bad, 'not a jpeg');
    const r = await facegate(['detect', photos[3], bad, photos[5], '--json', '--detector', detector, '--min-face', '40']);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as Entry[];
    assert.equal(out.length, 3);
    assert.deepEqual(out.map((e) => e.image), [photos[3], bad, photos[5]]);
    assert.equal(out[1].error?.code, 'FG_IMAGE_DECODE');
    assert.match(out[1].error!.message, /corrupt\.jpg/);
    for (const e of [out[0], out[2]]) {
      assert.equal(e.error, undefined);
      assert.equal(e.width, 1920);
      assert.ok(e.faces!.length >= 3 && e.ms! > 0);
      for (const f of e.faces!) {
        assert.equal(f.box.length, 4);
        assert.equal(f.landmarks.length, 5);
        assert.ok(f.landmarks.every((p) => p.length === 2 && p[0] >= f.box[0] - 0.1 * f.box[2] && p[0] <= f.box[0] + 1.1 * f.box[2]));
        assert.ok(f.score > 0.5 && f.score <= 1);
      }
    }
    const ok = await facegate(['detect', photos[3], '--json', '--detector', detector]);
    assert.equal(ok.code, 0, ok.stderr);
  });
}

test('facegate detect usage errors exit 2 with a JSON error', async () => {
  const r = await facegate(['detect', 'x.jpg', '--json', '--detector', 'haar']);
  assert.equal(r.code, 2);
  assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'FG_CLI_USAGE');
});
