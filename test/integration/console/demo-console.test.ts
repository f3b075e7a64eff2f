/** `runDemo` serves the console: its URL and one-time admin password log in; a wrong one does not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../../device/demo.ts';
import { needModels } from '../../helpers/pack.ts';

const skip = needModels('mtcnn-pnet', 'mobilefacenet-192', 'fr-feature-512');

test('demo: console URL + one-time password work during the run', { skip, timeout: 180_000 }, async () => {
  const results: { status: number; wrong: number; people: number }[] = [];
  let ready!: Promise<void>;
  const summary = await runDemo({
    fps: 4,
    console: {
      port: 0,
      onReady: (url, password) => {
        ready = (async () => {
          const origin = new URL(url).origin;
          const login = (pw: string) => fetch(`${origin}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: pw }) });
          const wrong = (await login('not-the-password')).status;
          const ok = await login(password);
          const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0];
          const people = await (await fetch(`${origin}/api/v1/people`, { headers: { cookie } })).json() as { people: unknown[] };
          results.push({ status: ok.status, wrong, people: people.people.length });
        })();
      },
    },
  });
  await ready;
  assert.match(summary.console ?? '', /^http:\/\/127\.0\.0\.1:\d+\/console\/$/);
  assert.deepEqual(results, [{ status: 200, wrong: 401, people: summary.enrolled.length }]);
  assert.ok(password(summary) === undefined, 'the password is not in the summary');
});

const password = (s: object) => (s as { password?: string }).password;
