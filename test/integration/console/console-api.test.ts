/**
 * The console's REST API on a real device (real models, lfw-dev photos, files camera, embedded
 * broker): auth (401 / CSRF 403 / token scopes), typed JSON errors and upload limits, detect and
 * identify, people CRUD with photo enrolment, decisions and CSV, status/config redaction, the
 * OpenAPI document checked by a registry validator and against the routes the server has.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { validate } from '@readme/openapi-parser';
import { DATA_DIR, needData, needModels } from '../../helpers/pack.ts';
import { ConsoleClient, startConsoleDevice, type ConsoleDevice } from '../../helpers/console-device.ts';

const skip = needData('lfw-dev') || needData('noface-dev') || needModels('mtcnn-pnet', 'mobilefacenet-192');
const lfw = join(DATA_DIR ?? '', 'lfw-dev', 'images');
const noface = join(DATA_DIR ?? '', 'noface-dev', 'images', 'brick.png');
let dev: ConsoleDevice;
let admin: ConsoleClient;

before(async () => {
  if (skip) return;
  dev = await startConsoleDevice({ firstImage: noface, extra: { mqtt: { embeddedPort: 0, homeAssistant: false, password: 'broker-secret' } } });
  admin = new ConsoleClient(dev.origin);
  assert.equal((await admin.login()).status, 200);
});
after(async () => { await dev?.stop(); });

test('no credentials: 401 with a typed JSON error; a bad token is 401 too', { skip }, async () => {
  const anon = new ConsoleClient(dev.origin);
  for (const path of ['/api/v1/people', '/api/v1/status', '/api/v1/decisions']) {
    const r = await anon.fetch(path);
    assert.equal(r.status, 401, path);
    const body = await r.json() as { error: { code: string } };
    assert.equal(body.error.code, 'FG_UNAUTHORIZED');
  }
  assert.equal((await anon.fetch('/api/v1/people', { token: 'fgt_not-a-token' })).status, 401);
});

test('session writes need the CSRF token (403 without or with a wrong one)', { skip }, async () => {
  const r = await admin.json('/api/v1/people', 'POST', { id: 'csrf-test' }, { csrf: false });
  assert.equal(r.status, 403);
  assert.equal((await r.json() as { error: { code: string } }).error.code, 'FG_FORBIDDEN');
  const wrong = await admin.fetch('/api/v1/people', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': 'x'.repeat(admin.csrf.length) }, body: '{"id":"csrf-test"}', csrf: false });
  assert.equal(wrong.status, 403);
  assert.equal((await admin.fetch('/api/v1/people/csrf-test')).status, 404, 'nothing was created');
});

test('token scopes: read cannot enrol, enrol cannot delete; revoked token is refused; tokens stored hashed', { skip }, async () => {
  const mk = async (scope: string) => ((await (await admin.json('/api/v1/tokens', 'POST', { name: `t-${scope}`, scope })).json()) as { token: string; id: string });
  const read = await mk('read');
  const enrol = await mk('enrol');
  const photo = await readFile(join(lfw, 'Abdullah', 'Abdullah_0001.jpg'));
  assert.equal((await admin.fetch('/api/v1/people', { token: read.token })).status, 200);
  const refused = await admin.upload('/api/v1/people/scoped/photos', [{ name: 'a.jpg', data: photo }], {}, { token: read.token });
  assert.equal(refused.status, 403);
  assert.equal((await admin.json('/api/v1/people', 'POST', { id: 'scoped' }, { token: read.token })).status, 403);
  assert.equal((await admin.upload('/api/v1/people/scoped/photos', [{ name: 'a.jpg', data: photo }], {}, { token: enrol.token })).status, 201);
  assert.equal((await admin.fetch('/api/v1/people/scoped', { method: 'DELETE', token: enrol.token })).status, 403);
  assert.equal((await admin.fetch('/api/v1/tokens', { token: enrol.token })).status, 403);
  assert.equal((await admin.fetch(`/api/v1/tokens/${read.id}`, { method: 'DELETE' })).status, 200);
  assert.equal((await admin.fetch('/api/v1/people', { token: read.token })).status, 401);
  const file = await readFile(dev.credentials.path, 'utf8');
  assert.ok(!file.includes(read.token) && !file.includes(enrol.token), 'plaintext tokens are not stored');
  assert.ok(!file.includes('correct horse'), 'plaintext password is not stored');
  assert.equal((await admin.fetch('/api/v1/people/scoped', { method: 'DELETE' })).status, 200);
});

test('detect and identify an uploaded photo; people CRUD with validity window and erasure', { skip }, async () => {
  const enrol = await readFile(join(lfw, 'Abdullah', 'Abdullah_0001.jpg'));
  const probe = await readFile(join(lfw, 'Abdullah', 'Abdullah_0003.jpg'));
  const d = await admin.upload('/api/v1/detect', [{ name: 'p.jpg', data: probe }]);
  assert.equal(d.status, 200);
  const det = await d.json() as { width: number; faces: { box: { w: number }; score: number; landmarks: number[][] }[] };
  assert.equal(det.width, 250);
  assert.ok(det.faces.length >= 1 && det.faces[0].score > 0.9 && det.faces[0].landmarks.length === 5 && det.faces[0].box.w > 40);

  const before = await (await admin.upload('/api/v1/identify', [{ name: 'p.jpg', data: probe }])).json() as { faces: { decision: string }[] };
  assert.equal(before.faces[0].decision, 'unknown', 'nobody enrolled yet');
  const created = await admin.upload('/api/v1/people/Abdullah/photos', [{ name: 'e.jpg', data: enrol }], { name: 'Abdullah Gul' });
  assert.equal(created.status, 201);
  assert.equal((await created.json() as { added: number }).added, 1);
  const who = await (await admin.upload('/api/v1/identify', [{ name: 'p.jpg', data: probe }])).json() as { faces: { decision: string; identity: string; name: string; distance: number }[] };
  assert.equal(who.faces[0].decision, 'grant');
  assert.equal(who.faces[0].identity, 'Abdullah');
  assert.equal(who.faces[0].name, 'Abdullah Gul');

  const until = new Date(Date.now() - 3600_000).toISOString();
  const p = await admin.json('/api/v1/people/Abdullah', 'PATCH', { validUntil: until });
  assert.equal(p.status, 200);
  const expired = await (await admin.upload('/api/v1/identify', [{ name: 'p.jpg', data: probe }])).json() as { faces: { decision: string; reason: string }[] };
  assert.equal(expired.faces[0].decision, 'deny', 'outside the validity window');
  assert.equal((await admin.json('/api/v1/people/Abdullah', 'PATCH', { validUntil: null, enabled: false })).status, 200);
  const disabled = await (await admin.upload('/api/v1/identify', [{ name: 'p.jpg', data: probe }])).json() as { faces: { decision: string }[] };
  assert.equal(disabled.faces[0].decision, 'deny');
  assert.equal((await admin.json('/api/v1/people/Abdullah', 'PATCH', { bogus: 1 })).status, 400, 'unknown fields are refused');

  const list = await (await admin.fetch('/api/v1/people')).json() as { people: { id: string; templates: number }[] };
  assert.deepEqual(list.people.map((x) => [x.id, x.templates]), [['Abdullah', 1]]);
  assert.equal((await admin.fetch('/api/v1/people/Abdullah', { method: 'DELETE' })).status, 200);
  assert.equal((await admin.fetch('/api/v1/people/Abdullah')).status, 404);
  const gone = await (await admin.upload('/api/v1/identify', [{ name: 'p.jpg', data: probe }])).json() as { faces: { decision: string }[] };
  assert.equal(gone.faces[0].decision, 'unknown');
});

test('bad uploads: corrupt image 400, no face 400, over the byte limit 413, over the pixel limit 413; the server keeps serving', { skip }, async () => {
  const bad = await admin.upload('/api/v1/detect', [{ name: 'x.jpg', data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) }]);
  assert.equal(bad.status, 400);
  assert.equal((await bad.json() as { error: { code: string } }).error.code, 'FG_IMAGE_DECODE');
  const none = await admin.upload('/api/v1/people/nobody/photos', [{ name: 'b.png', data: await readFile(noface) }]);
  assert.equal(none.status, 400);
  const big = await admin.upload('/api/v1/detect', [{ name: 'big.bin', data: Buffer.alloc(11 * 1024 * 1024, 1) }]);
  assert.equal(big.status, 413);
  const huge = await sharp({ create: { width: 6000, height: 5000, channels: 3, background: '#888' } }).jpeg({ quality: 10 }).toBuffer();
  const px = await admin.upload('/api/v1/detect', [{ name: 'huge.jpg', data: huge }]);
  assert.equal(px.status, 413);
  assert.equal((await px.json() as { error: { code: string } }).error.code, 'FG_IMAGE_TOO_LARGE');
  const json = await admin.fetch('/api/v1/detect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(json.status, 400);
  assert.equal((await admin.fetch('/api/v1/status')).status, 200);
});

test('status, config with secrets redacted, device summary, decisions + CSV, threshold apply is audited', { skip }, async () => {
  const s = await (await admin.fetch('/api/v1/status')).json() as { site: string; models: { modelId: string }; gallery: { version: number }; sync: { broker: string }; match: { threshold: number } };
  assert.equal(s.site, 'test');
  assert.match(s.models.modelId, /mobilefacenet/);
  assert.equal(s.match.threshold, 1.0);
  const cfgText = await (await admin.fetch('/api/v1/config')).text();
  assert.ok(!cfgText.includes('broker-secret') && cfgText.includes('***'));
  const dev2 = await (await admin.fetch('/api/v1/device')).json() as { metrics: { frames: number }; logs: unknown[] };
  assert.ok(dev2.metrics.frames > 0 && dev2.logs.length > 0);
  const r = await admin.json('/api/v1/calibration/threshold', 'POST', { threshold: 0.9 });
  assert.equal(r.status, 200);
  assert.equal((await r.json() as { persisted: boolean }).persisted, false, 'started without a config file: in force until restart only');
  assert.equal((await (await admin.fetch('/api/v1/status')).json() as { match: { threshold: number } }).match.threshold, 0.9);
  assert.equal((await admin.json('/api/v1/calibration/threshold', 'POST', { threshold: -1 })).status, 400);
  const decisions = await admin.fetch('/api/v1/decisions?kind=grant&limit=5');
  assert.equal(decisions.status, 200);
  assert.equal((await admin.fetch('/api/v1/decisions?kind=maybe')).status, 400);
  const csv = await admin.fetch('/api/v1/decisions.csv');
  assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
  assert.match(await csv.text(), /^seq,id,at,decision,identity/);
  // Audit: admin actions name who did them.
  await new Promise((res) => setTimeout(res, 200));
  const audit = await readFile(join(dev.work, 'audit.log'), 'utf8');
  assert.match(audit, /"console-threshold"/);
  assert.match(audit, /admin:admin/);
  assert.match(audit, /"console-person-delete"/);
});

test('security headers: strict CSP without inline script, HttpOnly SameSite=Strict session cookie', { skip }, async () => {
  const page = await fetch(`${dev.origin}/console/`);
  assert.equal(page.status, 200);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'));
  const html = await page.text();
  assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html), 'no inline script');
  assert.ok(!/https?:\/\//.test(html.replace(/xmlns="http:\/\/www.w3.org\/2000\/svg"/g, '')), 'no remote asset');
  const login = await fetch(`${dev.origin}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'correct horse battery' }) });
  const cookie = login.headers.get('set-cookie') ?? '';
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /SameSite=Strict/i);
});

test('OpenAPI document: valid per @readme/openapi-parser, and documents every API route the server has', { skip }, async () => {
  const doc = await (await fetch(`${dev.origin}/api/v1/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
  const result = await validate(structuredClone(doc) as never);
  assert.equal(result.valid, true, JSON.stringify((result as { errors?: unknown }).errors));
  const printed = dev.device.console?.routes ?? [];
  assert.ok(printed.length > 10);
  for (const r of printed.filter((x) => x.url.startsWith('/api/v1/') && x.method !== 'HEAD')) {
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    assert.ok(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${path} is documented`);
  }
});
