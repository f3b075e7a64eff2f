/**
 * Rebuilds hnswlib-node's addon for this CPU (-O3 -march=native) at install time.
 *
 * Why: npm builds the addon for baseline x86-64, where hnswlib compiles only its SSE distance
 * code; with AVX2/FMA enabled its L2 kernel runs on 256-bit registers. Gallery queries measured
 * 1.5-2x faster on this machine (BENCHMARKS.md, gallery section). The build happens on the device
 * itself, so "native" is the CPU that will run it.
 *
 * Safety: the build runs in a temporary copy; the new addon is loaded in a child process and must
 * return the same neighbours and distances as the portable one before it replaces it (atomic
 * rename; the portable addon is kept beside it as addon.portable.node). Any failure leaves the
 * portable addon in place: a slower gallery, never a broken one.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rename, rm, symlink, writeFile, copyFile, access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { errorMessage } from '../../sdk/errors.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

export const NATIVE_FLAGS = '-O3 -march=native';
const MARKER = 'facegate-native.json';

export interface NativeBuildResult {
  status: 'built' | 'cached' | 'skipped' | 'failed' | 'restored';
  reason?: string;
  addon?: string;
  seconds?: number;
}

/** x86-64 with AVX2 and FMA: the case where hnswlib has wider kernels than the portable build uses. */
export async function cpuWantsNativeBuild(): Promise<{ ok: boolean; reason: string; flags: string[] }> {
  if (process.arch !== 'x64') return { ok: false, reason: `arch ${process.arch}: hnswlib has no wider kernels to enable`, flags: [] };
  let info: string;
  try {
    info = await readFile('/proc/cpuinfo', 'utf8');
  } catch {
    return { ok: false, reason: 'no /proc/cpuinfo', flags: [] };
  }
  const line = info.split('\n').find((l) => l.startsWith('flags')) ?? '';
  const flags = ['avx', 'avx2', 'fma', 'avx512f'].filter((f) => new RegExp(`\\b${f}\\b`).test(line));
  return flags.includes('avx2') && flags.includes('fma') ? { ok: true, reason: 'avx2+fma', flags } : { ok: false, reason: 'no AVX2/FMA', flags };
}

export function addonPaths(): { pkgDir: string; addon: string; portable: string; marker: string } {
  const pkgDir = dirname(require.resolve('hnswlib-node/package.json'));
  const release = join(pkgDir, 'build', 'Release');
  return { pkgDir, addon: join(release, 'addon.node'), portable: join(release, 'addon.portable.node'), marker: join(release, MARKER) };
}

/** node-gyp's own CLI (a dependency of pacote, so present in every install). */
function nodeGypBin(): string {
  return join(dirname(require.resolve('node-gyp/package.json')), 'bin', 'node-gyp.js');
}

/** The headers of the running Node (distro and official builds ship include/node): no download. */
async function nodeDir(): Promise<string | undefined> {
  const prefix = dirname(dirname(process.execPath));
  try {
    await access(join(prefix, 'include', 'node', 'node.h'));
    return prefix;
  } catch {
    return undefined;
  }
}

/**
 * Child-process check: both addons build the same small index and must answer identically.
 * A child so that an addon that crashes on load (illegal instruction) cannot take us down.
 */
const CHECK_SCRIPT = `
const [portable, candidate] = process.argv.slice(1).map((p) => require(p));
let s = 12345; const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
const dim = 192, n = 500, data = Array.from({ length: n }, () => Array.from({ length: dim }, rnd));
const answers = [portable, candidate].map((m) => {
  const idx = new m.HierarchicalNSW('l2', dim); idx.initIndex(n, 16, 100, 1); idx.setEf(n);
  data.forEach((v, i) => idx.addPoint(v, i));
  return data.slice(0, 50).map((q) => idx.searchKnn(q.map((x) => x * 0.9), 5));
});
let worst = 0;
for (let i = 0; i < answers[0].length; i++) {
  const a = answers[0][i], b = answers[1][i];
  if (a.neighbors.join() !== b.neighbors.join()) { console.log(JSON.stringify({ ok: false, why: 'neighbours differ at query ' + i })); process.exit(0); }
  a.distances.forEach((d, j) => { worst = Math.max(worst, Math.abs(d - b.distances[j]) / Math.max(1e-6, d)); });
}
console.log(JSON.stringify({ ok: worst < 1e-4, why: 'max relative distance difference ' + worst }));
`;

export async function sameAnswers(portable: string, candidate: string): Promise<{ ok: boolean; why: string }> {
  const { stdout } = await run(process.execPath, ['-e', CHECK_SCRIPT, portable, candidate], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { ok: boolean; why: string };
}

/** Puts the portable addon back (a disk image moved to another CPU, or to compare). */
export async function restorePortable(): Promise<NativeBuildResult> {
  const p = addonPaths();
  try {
    await access(p.portable);
  } catch {
    return { status: 'skipped', reason: 'the portable addon is already in use' };
  }
  await copyFile(p.portable, `${p.addon}.tmp`);
  await rename(`${p.addon}.tmp`, p.addon);
  await rm(p.marker, { force: true });
  return { status: 'restored', addon: p.addon };
}

export async function buildNativeHnswlib(opts: { force?: boolean; onProgress?: (msg: string) => void } = {}): Promise<NativeBuildResult> {
  const say = opts.onProgress ?? (() => {});
  const cpu = await cpuWantsNativeBuild();
  if (!cpu.ok) return { status: 'skipped', reason: cpu.reason };
  const p = addonPaths();
  const want = JSON.stringify({ flags: NATIVE_FLAGS, cpu: cpu.flags, node: process.versions.modules });
  if (!opts.force) {
    const have = await readFile(p.marker, 'utf8').catch(() => '');
    if (have.trim() === want) return { status: 'cached', addon: p.addon };
  }
  const dir = await nodeDir();
  if (!dir) return { status: 'skipped', reason: `no Node headers beside ${process.execPath} (include/node/node.h)` };
  const work = await mkdtemp(join(tmpdir(), 'fg-hnswlib-'));
  const t0 = performance.now();
  try {
    say(`hnswlib-node: compiling for this CPU (${cpu.flags.join(', ')}) ...`);
    await cp(join(p.pkgDir, 'binding.gyp'), join(work, 'binding.gyp'));
    await cp(join(p.pkgDir, 'src'), join(work, 'src'), { recursive: true });
    await cp(join(p.pkgDir, 'package.json'), join(work, 'package.json'));
    // binding.gyp asks node-addon-api for its include dir via require(): resolve it from here.
    await symlink(join(dirname(require.resolve('node-addon-api/package.json')), '..'), join(work, 'node_modules'), 'dir');
    await run(process.execPath, [nodeGypBin(), 'rebuild', `--nodedir=${dir}`], {
      cwd: work, env: { ...process.env, CXXFLAGS: NATIVE_FLAGS, CFLAGS: NATIVE_FLAGS }, timeout: 600_000, maxBuffer: 16 << 20,
    });
    const built = join(work, 'build', 'Release', 'addon.node');
    // Keep the npm-built addon once; later rebuilds compare against it, never against a native one.
    await access(p.portable).catch(() => copyFile(p.addon, p.portable));
    const check = await sameAnswers(p.portable, built);
    if (!check.ok) return { status: 'failed', reason: `native addon disagrees with the portable one (${check.why}); kept portable` };
    await copyFile(built, `${p.addon}.tmp`);
    await rename(`${p.addon}.tmp`, p.addon);
    await writeFile(p.marker, `${want}\n`);
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    say(`hnswlib-node: native addon in place (${seconds} s; ${check.why})`);
    return { status: 'built', addon: p.addon, seconds };
  } catch (e) {
    return { status: 'failed', reason: `${errorMessage(e).split('\n')[0]}; kept the portable addon` };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
