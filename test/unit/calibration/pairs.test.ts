import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadPairsCsv, evenSubset } from '../../../calibration/pairs.ts';
import { loadLabeledCsv, loadLabeledDir, labeledPairs, impostorSampleSize } from '../../../calibration/labeled.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

const LFW = resolve('../shared/data/lfw-dev');
const CELEB = resolve('../shared/data/deepface-celeb13');

async function tmpCsv(text: string): Promise<{ dir: string; csv: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fg-pairs-'));
  const csv = join(dir, 'pairs.csv');
  await writeFile(csv, text);
  return { dir, csv };
}

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof FaceGateError, `not a FaceGateError: ${e}`);
    assert.equal(e.code, 'FG_CSV_INVALID');
    assert.match(e.message, pattern);
    return true;
  });
}

test('pairs CSV: CRLF, BOM and quotes parse; paths resolve under --images', async () => {
  const { dir, csv } = await tmpCsv('\ufefffold,image_a,image_b,same\r\n1,a/x.jpg,"b/y, z.jpg",1\r\n2,a/x.jpg,c/w.jpg,0\r\n\r\n');
  const { pairs, hasFolds } = await loadPairsCsv(csv, join(dir, 'img'));
  assert.equal(hasFolds, true);
  assert.deepEqual(pairs, [
    { a: join(dir, 'img/a/x.jpg'), b: join(dir, 'img/b/y, z.jpg'), same: true, fold: 1 },
    { a: join(dir, 'img/a/x.jpg'), b: join(dir, 'img/c/w.jpg'), same: false, fold: 2 },
  ]);
});

test('pairs CSV without fold column gets fold 0', async () => {
  const { dir, csv } = await tmpCsv('image_a,image_b,same\nx.jpg,y.jpg,0\n');
  const { pairs, hasFolds } = await loadPairsCsv(csv, dir);
  assert.equal(hasFolds, false);
  assert.equal(pairs[0].fold, 0);
});

test('pairs CSV: bad inputs name the problem and the line', async () => {
  let t = await tmpCsv('1,a.jpg,b.jpg,1\r\n');
  await rejects(loadPairsCsv(t.csv, t.dir), /line 1 is not a valid header.*fold,image_a,image_b,same/);
  t = await tmpCsv('image_a,image_b,same\na.jpg,b.jpg,yes\n');
  await rejects(loadPairsCsv(t.csv, t.dir), /line 2: "same" must be 1 or 0, got "yes"/);
  t = await tmpCsv('image_a,image_b,same\na.jpg,b.jpg,1\na.jpg,b.jpg\n');
  await rejects(loadPairsCsv(t.csv, t.dir), /line 3 has 2 columns, the header has 3/);
  t = await tmpCsv('image_a,image_b,same\na.jpg,../../etc/passwd,1\n');
  await rejects(loadPairsCsv(t.csv, t.dir), /line 2: image path "..\/..\/etc\/passwd" leaves the --images folder/);
  t = await tmpCsv('image_a,image_b,same\n/etc/passwd,b.jpg,1\n');
  await rejects(loadPairsCsv(t.csv, t.dir), /absolute/);
  t = await tmpCsv('fold,image_a,image_b,same\nx,a.jpg,b.jpg,1\n');
  await rejects(loadPairsCsv(t.csv, t.dir), /"fold" must be a positive integer/);
  t = await tmpCsv('');
  await rejects(loadPairsCsv(t.csv, t.dir), /empty file/);
  t = await tmpCsv('image_a,image_b,same\r\n');
  await rejects(loadPairsCsv(t.csv, t.dir), /no pairs/);
  await rejects(loadPairsCsv(join(t.dir, 'missing.csv'), t.dir), /cannot read the CSV \(ENOENT\)/);
});

test('evenSubset mixes the whole list', () => {
  assert.deepEqual(evenSubset([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5), [0, 2, 4, 6, 8]);
  assert.deepEqual(evenSubset([1, 2], 5), [1, 2]);
});

test('lfw-dev pairs.csv: 1,800 pairs in 3 folds, half genuine', { skip: existsSync(LFW) ? false : 'needs ../shared/data/lfw-dev' }, async () => {
  const { pairs, hasFolds } = await loadPairsCsv(join(LFW, 'pairs.csv'), join(LFW, 'images'));
  assert.equal(hasFolds, true);
  assert.equal(pairs.length, 1800);
  assert.equal(pairs.filter((p) => p.same).length, 900);
  assert.deepEqual([...new Set(pairs.map((p) => p.fold))], [1, 2, 3]);
  assert.ok(existsSync(pairs[0].a) && existsSync(pairs[1799].b));
});

test('deepface-celeb13 pair lists use the same header without folds', { skip: existsSync(CELEB) ? false : 'needs ../shared/data/deepface-celeb13' }, async () => {
  const master = await loadPairsCsv(join(CELEB, 'pairs_master.csv'), join(CELEB, 'images'));
  assert.equal(master.pairs.length, 300);
  assert.equal(master.pairs.filter((p) => p.same).length, 38);
  const pivot = await loadPairsCsv(join(CELEB, 'pairs_pivot.csv'), join(CELEB, 'images'));
  assert.equal(pivot.pairs.length, 280);
  assert.equal(pivot.hasFolds, false);
});

test('labelled images -> all genuine pairs + seeded impostor sample', () => {
  const items = ['a', 'a', 'a', 'b', 'b', 'c'].map((identity, i) => ({ identity, path: `/x/${i}.jpg` }));
  const all = labeledPairs(items, { seed: 1, impostorPairs: 1000 });
  assert.equal(all.genuinePairs, 3 + 1);
  assert.equal(all.impostorPairsPossible, (36 - 9 - 4 - 1) / 2);
  assert.equal(all.impostorPairsSampled, 11);
  const imp = all.pairs.filter((p) => !p.same);
  assert.equal(new Set(imp.map((p) => p.a + p.b)).size, 11);
  const idOf = (p: string) => items.find((it) => it.path === p)!.identity;
  assert.ok(imp.every((p) => idOf(p.a) !== idOf(p.b)));
  // Same seed, same sample; other seed, (almost surely) another one.
  const s1 = labeledPairs(items, { seed: 7, impostorPairs: 4 }).pairs.filter((p) => !p.same);
  const s2 = labeledPairs(items, { seed: 7, impostorPairs: 4 }).pairs.filter((p) => !p.same);
  assert.deepEqual(s1, s2);
  assert.equal(s1.length, 4);
  assert.equal(impostorSampleSize(1e-3), 100000);
  assert.throws(() => labeledPairs(items.slice(0, 3), { seed: 1, impostorPairs: 10 }), /1 identity/);
  assert.throws(() => labeledPairs(items.filter((_, i) => i !== 1 && i !== 2 && i !== 4), { seed: 1, impostorPairs: 10 }), /no identity has two images/);
});

test('sparse impostor sampling: no repeats, no same-identity pairs', () => {
  const items = Array.from({ length: 400 }, (_, i) => ({ identity: `p${i % 100}`, path: `/x/${i}.jpg` }));
  const r = labeledPairs(items, { seed: 3, impostorPairs: 2000 });
  const imp = r.pairs.filter((p) => !p.same);
  assert.equal(imp.length, 2000);
  assert.equal(new Set(imp.map((p) => `${p.a}|${p.b}`)).size, 2000);
  const id = (p: string) => `p${Number(p.slice(3, -4)) % 100}`;
  assert.ok(imp.every((p) => id(p.a) !== id(p.b)));
  assert.equal(r.genuinePairs, 100 * 6);
});

test('labelled CSV and labelled folder loaders', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-lab-'));
  await writeFile(join(dir, 'l.csv'), 'image,identity,note\r\nann/1.jpg,ann,\r\nann/2.jpg,ann,x\r\nbob/1.jpg,bob,\r\nann/1.jpg,ann,\r\n');
  const items = await loadLabeledCsv(join(dir, 'l.csv'), dir);
  assert.deepEqual(items.map((i) => i.identity), ['ann', 'ann', 'bob']);
  await writeFile(join(dir, 'bad.csv'), 'image,identity\r\nann/1.jpg,ann\r\nann/1.jpg,bob\r\n');
  await assert.rejects(loadLabeledCsv(join(dir, 'bad.csv'), dir), /labelled both "ann" and "bob"/);
  await mkdir(join(dir, 'people/zed'), { recursive: true });
  await mkdir(join(dir, 'people/amy'), { recursive: true });
  for (const f of ['people/zed/b.jpg', 'people/zed/a.png', 'people/amy/1.jpeg', 'people/amy/notes.txt']) await writeFile(join(dir, f), '');
  const fromDir = await loadLabeledDir(join(dir, 'people'));
  assert.deepEqual(fromDir.map((i) => `${i.identity}:${i.path.slice(dir.length)}`), ['amy:/people/amy/1.jpeg', 'zed:/people/zed/a.png', 'zed:/people/zed/b.jpg']);
  await assert.rejects(loadLabeledDir(join(dir, 'people/amy')), /no images in person sub-folders/);
});

test('limiting labelled images keeps whole identities', async () => {
  const { limitLabeled } = await import('../../../calibration/labeled.ts');
  const items = ['a', 'a', 'b', 'b', 'b', 'c', 'c'].map((identity, i) => ({ identity, path: `/x/${i}.jpg` }));
  assert.deepEqual(limitLabeled(items, 6).map((i) => i.identity), ['a', 'a', 'b', 'b', 'b']);
  assert.deepEqual(limitLabeled(items, 1).map((i) => i.identity), ['a']);
});
