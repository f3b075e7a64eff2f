import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfined } from '../../../calibration/image-path.ts';
import { loadPairsCsv } from '../../../calibration/pairs.ts';
import { loadLabeledCsv } from '../../../calibration/labeled.ts';
import { loadProbesCsv } from '../../../calibration/probes.ts';
import { readLabeledCsv, readProbesCsv } from '../../../device/cli/gallery-cli.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

/** images/ with a.jpg, in/ (a folder link inside), out.jpg + outdir/ (links leading outside). */
async function tree() {
  const base = await mkdtemp(join(tmpdir(), 'fg-confine-'));
  const images = join(base, 'images');
  await mkdir(join(images, 'sub'), { recursive: true });
  await mkdir(join(base, 'secret'));
  await writeFile(join(base, 'secret', 'key.jpg'), 'not an image');
  await writeFile(join(images, 'sub', 'a.jpg'), 'x');
  await symlink(join(base, 'secret', 'key.jpg'), join(images, 'out.jpg'));
  await symlink(join(base, 'secret'), join(images, 'outdir'));
  await symlink(join(images, 'sub'), join(images, 'in'));
  return { base, images };
}

const csvInvalid = (re: RegExp) => (e: unknown) => e instanceof FaceGateError && e.code === 'FG_CSV_INVALID' && re.test(e.message);

test('image paths stay inside --images: ../, absolute, NUL and symbolic links out are refused', async () => {
  const { images } = await tree();
  assert.equal(resolveConfined(images, 'sub/a.jpg', 'x'), join(images, 'sub', 'a.jpg'));
  assert.equal(resolveConfined(images, 'in/a.jpg', 'x'), join(images, 'in', 'a.jpg')); // a link that stays inside
  assert.equal(resolveConfined(images, 'sub/missing.jpg', 'x'), join(images, 'sub', 'missing.jpg'));
  assert.throws(() => resolveConfined(images, '../secret/key.jpg', 'x'), csvInvalid(/leaves the --images folder/));
  assert.throws(() => resolveConfined(images, 'sub/../../secret/key.jpg', 'x'), csvInvalid(/leaves/));
  assert.throws(() => resolveConfined(images, '/etc/passwd', 'x'), csvInvalid(/absolute/));
  assert.throws(() => resolveConfined(images, 'a\0.jpg', 'x'), csvInvalid(/NUL/));
  assert.throws(() => resolveConfined(images, 'out.jpg', 'x'), csvInvalid(/symbolic link/));
  assert.throws(() => resolveConfined(images, 'outdir/key.jpg', 'x'), csvInvalid(/symbolic link/));
});

test('every CSV reader refuses an escaping row, naming the file and line', async () => {
  const { base, images } = await tree();
  const write = async (name: string, text: string) => { const p = join(base, name); await writeFile(p, text); return p; };
  const pairs = await write('pairs.csv', 'image_a,image_b,same\r\nsub/a.jpg,outdir/key.jpg,1\r\n');
  await assert.rejects(loadPairsCsv(pairs, images), csvInvalid(/pairs\.csv.*line 2.*symbolic link/));
  const labeled = await write('labeled.csv', 'identity,image\r\nbob,sub/a.jpg\r\neve,../secret/key.jpg\r\n');
  await assert.rejects(loadLabeledCsv(labeled, images), csvInvalid(/labeled\.csv.*line 3.*leaves/));
  await assert.rejects(readLabeledCsv(labeled, images), csvInvalid(/line 3.*leaves/));
  const probes = await write('probes.csv', 'image,true_identity\r\nout.jpg,bob\r\n');
  await assert.rejects(loadProbesCsv(probes, images), csvInvalid(/line 2.*symbolic link/));
  await assert.rejects(readProbesCsv(probes, images), csvInvalid(/line 2.*symbolic link/));
});
