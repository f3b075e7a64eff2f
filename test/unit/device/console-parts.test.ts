/** The console's pure parts and stores: pose/lighting checks, CSV, decision log, credentials, sessions, config rules, overlay escaping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Landmarks5 } from '../../../sdk/types.ts';
import { faceLighting, isFrontal, poseFromLandmarks, wellLit } from '../../../device/console/capture-checks.ts';
import Database from 'better-sqlite3';
import { DecisionLog, csvField, decisionsCsv } from '../../../device/console/decision-log.ts';
import { DecisionHistory } from '../../../sdk/mqtt/decision-history.ts';
import { buildDecisionMessage } from '../../../sdk/mqtt/decision-message.ts';
import { Credentials, scopeAllows } from '../../../device/console/credentials.ts';
import { SessionStore, csrfMatches } from '../../../device/console/sessions.ts';
import { overlaySvg } from '../../../device/console/annotate.ts';
import { httpError } from '../../../device/console/http-errors.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { parseConfig } from '../../../device/config/load-config.ts';

const frontal: Landmarks5 = [[40, 50], [60, 50], [50, 60], [42, 70], [58, 70]];

test('pose from landmarks: frontal face, yaw from the nose offset, roll from the eye line', () => {
  assert.deepEqual(poseFromLandmarks(frontal), { yaw: 0, rollDeg: 0, pitch: 0.5 });
  assert.ok(isFrontal(poseFromLandmarks(frontal)));
  const turned: Landmarks5 = [[40, 50], [60, 50], [58, 60], [42, 70], [58, 70]];
  assert.equal(poseFromLandmarks(turned).yaw, 0.4); // 8 px of a 20 px eye distance
  assert.ok(!isFrontal(poseFromLandmarks(turned)));
  // Eye line at 30 degrees: (60,50) -> (60 + 20cos30, 50 + 20sin30)
  const tilted: Landmarks5 = [[60, 50], [60 + 20 * Math.cos(Math.PI / 6), 60], [68, 62], [60, 75], [75, 82]];
  assert.ok(Math.abs(poseFromLandmarks(tilted).rollDeg - 30) < 1e-9);
  assert.ok(!isFrontal(poseFromLandmarks(tilted)));
});

test('face lighting: mean grey and clipped share of the box', () => {
  const frame = (v: number) => ({ width: 10, height: 10, data: new Uint8Array(300).fill(v) });
  assert.deepEqual(faceLighting(frame(100), { x: 2, y: 2, w: 5, h: 5 }), { mean: 100, clipped: 0 });
  assert.ok(wellLit(faceLighting(frame(100), { x: 0, y: 0, w: 10, h: 10 })));
  const white = faceLighting(frame(255), { x: 0, y: 0, w: 10, h: 10 });
  assert.equal(white.clipped, 1);
  assert.ok(!wellLit(white));
  assert.ok(!wellLit(faceLighting(frame(20), { x: 0, y: 0, w: 10, h: 10 })), 'too dark');
  assert.deepEqual(faceLighting(frame(100), { x: 20, y: 20, w: 5, h: 5 }), { mean: 0, clipped: 1 }, 'box outside the frame');
});

test('CSV: quoting, and spreadsheet formulas are defused', () => {
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvField(null), '');
  assert.equal(csvField(-0.5), '-0.5', 'numbers are not prefixed');
});

test('decision log: a view of the decision history, newest first, filters, afterSeq, bounded, after a reopen', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'fg-dlog-')), 'history.sqlite');
  const names: Record<string, string> = { a: 'Alice' };
  const at = (iso: string) => Date.parse(iso);
  let h = DecisionHistory.open(path, { maxRows: 3, synchronous: 'normal' });
  const rec = (decision: 'grant' | 'deny' | 'unknown', identity: string | null, iso: string, latencyMs?: number) =>
    h.record(buildDecisionMessage({ decision, identity, distance: 0.5, threshold: 1, model: 'm', ts: new Date(iso) }, { site: 's', device: 'd', includeImage: false }), at(iso), { latencyMs });
  rec('grant', 'a', '2026-01-01T00:00:00Z', 12);
  rec('unknown', null, '2026-01-01T00:01:00Z');
  rec('grant', 'b', '2026-01-01T00:02:00Z', 30);
  rec('deny', 'a', '2026-01-01T00:03:00Z', 7);
  h.prune(at('2026-01-01T00:03:00Z')); // maxRows 3: the oldest falls out
  h.close();
  h = DecisionHistory.open(path, { maxRows: 3, synchronous: 'normal' });
  const log = new DecisionLog(h, (id) => names[id] ?? null);
  assert.deepEqual(log.query().map((d) => d.seq), [4, 3, 2], 'the oldest fell out; the rest survived the reopen');
  assert.deepEqual(log.query({ kind: 'grant' }).map((d) => d.seq), [3]);
  assert.deepEqual(log.query({ person: 'a' }).map((d) => [d.seq, d.name, d.latencyMs, d.decision]), [[4, 'Alice', 7, 'deny']]);
  assert.deepEqual(log.query({ afterSeq: 2 }).map((d) => d.seq), [4, 3]);
  assert.deepEqual(log.query({ beforeSeq: 4, limit: 1 }).map((d) => d.seq), [3]);
  assert.deepEqual(log.query({ since: at('2026-01-01T00:01:30Z'), until: at('2026-01-01T00:02:30Z') }).map((d) => d.seq), [3]);
  assert.equal(log.query({ person: 'b' })[0].name, null, 'names come from the gallery now: b is not in it');
  assert.equal(log.query({ person: 'b' })[0].at, '2026-01-01T00:02:00.000Z');
  assert.equal(decisionsCsv(log.query({ limit: 1 })).split('\r\n')[1].split(',')[0], '4');
  h.close();
});

test('decision history written before the log columns: opened, filled in from its messages, queryable', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'fg-dlog-old-')), 'history.sqlite');
  const db = new Database(path);
  db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, payload BLOB NOT NULL, created_ms INTEGER NOT NULL);`);
  const old = buildDecisionMessage({ decision: 'grant', identity: 'a', distance: 0.4, threshold: 1, model: 'm' }, { site: 's', device: 'd', includeImage: false });
  old.seq = 1;
  db.prepare('INSERT INTO history (seq, id, payload, created_ms) VALUES (?, ?, ?, ?)').run(1, old.id, Buffer.from(JSON.stringify(old)), Date.now());
  db.close();
  const h = DecisionHistory.open(path, { synchronous: 'normal' });
  const log = new DecisionLog(h, () => 'Alice');
  assert.deepEqual(log.query({ person: 'a', kind: 'grant' }).map((d) => [d.seq, d.id, d.latencyMs]), [[1, old.id, null]]);
  h.close();
});

test('credentials: scrypt password, file mode 0600, hashed scoped tokens, revocation', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'fg-cred-')), 'c.json');
  const c = await Credentials.open(path);
  assert.equal(c.hasAdmin, false);
  assert.equal(await c.verifyAdmin('admin', 'anything'), false);
  await assert.rejects(c.setAdminPassword('short'), (e: FaceGateError) => e.code === 'FG_INPUT_INVALID');
  await c.setAdminPassword('a long enough password');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const again = await Credentials.open(path);
  assert.equal(await again.verifyAdmin('admin', 'a long enough password'), true);
  assert.equal(await again.verifyAdmin('admin', 'a long enough passworD'), false);
  assert.equal(await again.verifyAdmin('root', 'a long enough password'), false);
  const { token, record } = await again.createToken('ci', 'enrol');
  assert.equal(again.findToken(token)?.scope, 'enrol');
  assert.equal(again.findToken(token + 'x'), null);
  const text = await readFile(path, 'utf8');
  assert.ok(!text.includes(token) && !text.includes('a long enough password'));
  await again.revokeToken(record.id);
  assert.equal(again.findToken(token), null);
  await assert.rejects(again.createToken('x', 'root' as never), (e: FaceGateError) => e.code === 'FG_INPUT_INVALID');
  assert.ok(scopeAllows('admin', 'enrol') && scopeAllows('enrol', 'read') && !scopeAllows('read', 'enrol') && !scopeAllows('enrol', 'admin'));
});

test('sessions: expiry and CSRF token check', () => {
  const s = new SessionStore(1000, 2);
  const a = s.create('admin', 0);
  assert.equal(s.get(a.id, 500)?.user, 'admin');
  assert.equal(s.get(a.id, 1000), null, 'expired');
  const b = s.create('admin', 2000);
  assert.ok(csrfMatches(b, b.csrf));
  assert.ok(!csrfMatches(b, undefined) && !csrfMatches(b, 'x') && !csrfMatches(b, b.csrf.replace(/.$/, (ch) => (ch === 'a' ? 'b' : 'a'))));
  s.create('admin', 2000);
  s.create('admin', 2000);
  assert.equal(s.get(b.id, 2000), null, 'bounded: the oldest session went first');
});

test('config: the console off loopback needs TLS; defaults are off and loopback', () => {
  const base = { site: 's', device: 'd', camera: { type: 'files', path: 'x' }, gallery: { db: 'g' }, match: { threshold: 1 } };
  const cfg = parseConfig(base);
  assert.equal(cfg.console.enabled, false);
  assert.equal(cfg.console.host, '127.0.0.1');
  assert.throws(() => parseConfig({ ...base, console: { enabled: true, host: '0.0.0.0' } }), /console.host: binding the console to a non-loopback address requires tls/);
  assert.equal(parseConfig({ ...base, console: { enabled: true, host: '0.0.0.0', tls: { cert: 'c.pem', key: 'k.pem' } } }).console.host, '0.0.0.0');
  assert.equal(parseConfig({ ...base, console: { host: '::1' } }).console.host, '::1');
});

test('overlay: names are escaped in the SVG', () => {
  const svg = overlaySvg(100, 100, [{ box: { x: 1, y: 30, w: 20, h: 20 }, score: 1, landmarks5: frontal, track: 1, identity: 'x', name: '<script>&"', distance: 0.5, liveness: null, decided: false }]);
  assert.ok(!svg.includes('<script>'));
  assert.match(svg, /&#60;script&#62;&#38;&#34;/);
});

test('HTTP errors: codes map to statuses; unknown errors hide their message', () => {
  assert.deepEqual(httpError(new FaceGateError('FG_UNAUTHORIZED', 'no')).status, 401);
  assert.deepEqual(httpError(new FaceGateError('FG_FORBIDDEN', 'no')).status, 403);
  assert.deepEqual(httpError(new FaceGateError('FG_GALLERY_NOT_FOUND', 'no')).status, 404);
  assert.deepEqual(httpError(new FaceGateError('FG_IMAGE_TOO_LARGE', 'no')).status, 413);
  assert.deepEqual(httpError(new FaceGateError('FG_IMAGE_DECODE', 'no')).status, 400);
  const internal = httpError(new Error('/secret/path exploded'));
  assert.equal(internal.status, 500);
  assert.ok(!JSON.stringify(internal.body).includes('/secret/path'));
});
