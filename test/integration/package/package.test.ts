// FaceGate as a real dependency: `npm pack`, install the tarball into a fresh project offline (its
// dependencies from the local npm cache), then (a) a plain Node ESM script uses the public API on
// real photos, (b) a strict TypeScript consumer type-checks against the shipped .d.ts, (c) a deep
// import is refused by the exports map. The consumer's postinstall is pointed at this checkout's
// built pack (FACEGATE_MODELS_DIR, `models build --use-existing`): building a pack per install is
// minutes of conversion the other tests already cover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACK_DIR, REPO_ROOT } from '../../../models/paths.ts';
import { needModels } from '../../helpers/pack.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The environment without the npm_* variables an enclosing `npm test` sets (they would steer the inner npm). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v;
  return { ...env, ONNXRUNTIME_NODE_INSTALL: 'skip', ...extra };
}

interface LockEntry { dev?: boolean; [k: string]: unknown }

/**
 * The consumer's lockfile: FaceGate's tarball plus FaceGate's own locked runtime dependencies at the
 * same paths. `npm ci --offline` then takes every package from the npm cache by integrity (the cache
 * holds the tarballs `npm ci` fetched, not registry metadata, so a range-resolving install cannot
 * run offline); it is what a consumer with a lockfile gets.
 */
function consumerLock(tarball: string, spec: string): unknown {
  const own = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const root = own.packages[''];
  const packages: Record<string, unknown> = {
    '': { name: 'fg-consumer', dependencies: { facegate: spec } },
    'node_modules/facegate': {
      version: manifest.version, resolved: spec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      license: manifest.license, dependencies: root.dependencies, bin: root.bin, engines: root.engines, hasInstallScript: true,
    },
  };
  for (const [path, entry] of Object.entries(own.packages)) if (path.startsWith('node_modules/') && !entry.dev) packages[path] = entry;
  return { name: 'fg-consumer', lockfileVersion: 3, requires: true, packages };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r;
}

test('packed tarball installs offline; plain ESM, strict TS and the exports map work as a consumer sees them',
  { skip: needModels('mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet', 'mobilefacenet-192'), timeout: 900_000 }, async (t) => {
    const tmp = mkdtempSync(join(tmpdir(), 'fg-package-'));
    t.after(() => rmSync(tmp, { recursive: true, force: true }));
    const packDir = resolve(PACK_DIR);
    const env = cleanEnv({ FACEGATE_MODELS_DIR: packDir });

    // npm pack runs prepack (the tsc build), so the tarball holds a fresh dist/.
    run(NPM, ['pack', '--pack-destination', tmp, '--silent'], REPO_ROOT, env, 300_000);
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote a tarball');

    const app = join(tmp, 'app');
    mkdirSync(app);
    const spec = `file:../${tarball}`;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fg-consumer', private: true, type: 'module', dependencies: { facegate: spec } }));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(consumerLock(join(tmp, tarball), spec)));
    for (const f of ['consumer.mjs', 'consumer-types.ts', 'deep-import.mjs']) copyFileSync(join(HERE, f), join(app, f));
    const install = run(NPM, ['ci', '--offline', '--no-audit', '--no-fund'], app, env, 600_000);
    assert.match(install.stdout + install.stderr, /added \d+ packages/);

    // (a) plain Node ESM, no tsx: real photos through the public API.
    const [photo] = await demoPhotos();
    const a = run(process.execPath, ['consumer.mjs', dirname(photo)], app, env, 180_000);
    const out = JSON.parse(a.stdout.trim().split('\n').pop()!) as {
      model: string; dim: number; faces: number; norms: number[];
      self: { decision: string; identity: string; d1: number };
      decisions: { decision: string; identity: string | null }[];
      missing: { code?: string; message: string } | null;
    };
    assert.deepEqual([out.model, out.dim, out.faces], ['mobilefacenet-192', 192, 3]);
    for (const n of out.norms) assert.ok(Math.abs(n - 1) < 1e-4, `unit embeddings, got norm ${n}`);
    assert.deepEqual([out.self.decision, out.self.identity], ['grant', 'sample1-face0']);
    assert.ok(out.self.d1 < 1e-3, `the enrolled face itself: distance ${out.self.d1}`);
    // sample3 shows one of sample1's people (measured: distance 0.63); its other two faces are strangers.
    assert.deepEqual(out.decisions.map((d) => d.decision).sort(), ['grant', 'unknown', 'unknown']);
    assert.deepEqual(out.decisions.filter((d) => d.decision === 'grant').map((d) => d.identity), ['sample1-face2']);
    assert.equal(out.missing?.code, 'FG_MODEL_MISSING');
    assert.match(out.missing!.message, /models build.*FACEGATE_MODELS_DIR/s);

    // (b) a strict TypeScript consumer against the shipped declarations.
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true,
        types: ['node'], typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
      },
      files: ['consumer-types.ts'],
    }));
    run(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app, env, 180_000);

    // (c) internals are not importable.
    const c = run(process.execPath, ['deep-import.mjs'], app, env, 60_000);
    assert.deepEqual(JSON.parse(c.stdout.trim()), { refused: true, code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  });
