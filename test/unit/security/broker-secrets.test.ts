import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerOptions } from '../../../device/run-device.ts';
import { parseConfig } from '../../../device/config/load-config.ts';
import { redactConfig } from '../../../device/cli/commands/run.ts';
import { mqttOptions } from '../../../sdk/mqtt/connect.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { REPO_ROOT } from '../../../models/paths.ts';

const mqtt = (url: string, extra: Record<string, unknown> = {}) => ({ url, insecure: false, embeddedPort: 1883, homeAssistant: true, ...extra });

test('a non-loopback broker needs TLS unless insecure: true; loopback may be plain', async () => {
  for (const url of ['mqtt://10.0.0.5:1883', 'tcp://broker.example', 'ws://broker.example/mqtt', 'mqtt://user:s3cret@192.168.1.2']) {
    await assert.rejects(brokerOptions(mqtt(url)), (e: unknown) => {
      assert.ok(e instanceof FaceGateError && e.code === 'FG_CONFIG_INVALID');
      assert.match(e.message, /not loopback and not TLS; use mqtts:\/\/ or set mqtt.insecure: true/);
      assert.ok(!e.message.includes('s3cret'), 'the password is not in the message');
      return true;
    }, url);
  }
  for (const url of ['mqtts://broker.example:8883', 'wss://broker.example/mqtt', 'mqtt://127.0.0.1:1883', 'mqtt://localhost', 'mqtt://[::1]:1883']) {
    const o = await brokerOptions(mqtt(url));
    assert.equal(o.rejectUnauthorized, true, url);
  }
  const lab = await brokerOptions(mqtt('mqtt://10.0.0.5:1883', { insecure: true }));
  assert.equal(lab.rejectUnauthorized, false);
});

test('broker URL errors and printed configs carry no credentials', async () => {
  assert.throws(() => mqttOptions({ url: 'gopher://u:hunter2@host' }), (e: unknown) => e instanceof FaceGateError && !e.message.includes('hunter2') && /unsupported scheme/.test(e.message));
  const cfg = parseConfig({
    site: 's', device: 'd', camera: { type: 'stream', url: 'rtsp://cam:campw@10.0.0.9/live' },
    mqtt: { url: 'mqtts://door:urlpw@broker.example:8883', username: 'door', password: 'hunter2' },
    gallery: { db: '/tmp/g' }, match: { threshold: 1 },
  });
  const printed = JSON.stringify(redactConfig(cfg));
  for (const secret of ['hunter2', 'urlpw', 'campw']) assert.ok(!printed.includes(secret), `${secret} printed: ${printed}`);
  assert.equal(cfg.mqtt.password, 'hunter2', 'the config itself is unchanged');

  // The real command: `facegate run --check --json`.
  const dir = await mkdtemp(join(tmpdir(), 'fg-secret-'));
  const path = join(dir, 'device.yaml');
  await writeFile(path, `site: s\ndevice: d\ncamera: { type: files, path: . }\nmqtt: { url: "mqtts://door:urlpw@broker.example:8883", password: hunter2 }\ngallery: { db: ./g }\nmatch: { threshold: 1 }\n`);
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'facegate.js'), 'run', '--config', path, '--check', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /"ok":true/);
  assert.ok(!r.stdout.includes('hunter2') && !r.stdout.includes('urlpw') && !r.stderr.includes('hunter2'), r.stdout);
});
