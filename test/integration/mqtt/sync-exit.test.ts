/** `facegate sync --once`: one rule for exit codes — anything rejected exits 1, with the reason in the JSON. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { writeKeyPair } from '../../../sdk/mqtt/enrollment-keys.ts';
import { enrollmentTopics } from '../../../sdk/mqtt/topics.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';

const skip = hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)';

function facegate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile(process.execPath, ['bin/facegate.js', ...args], { timeout: 60_000 },
    (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })));
}

test('sync --once: a rejected malformed snapshot manifest exits 1 with the reason in JSON', { skip, timeout: 90_000 }, async () => {
  const broker = await Mosquitto.start();
  const dir = await mkdtemp(join(tmpdir(), 'fg-syncexit-'));
  let c: mqtt.MqttClient | undefined;
  try {
    await writeKeyPair(join(dir, 'keys'));
    const t = enrollmentTopics('plant-9');
    c = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    for (const [name, payload] of [['garbage', 'not json at all'], ['wrong-shape', JSON.stringify({ version: 5, chunks: 'x' })]] as const) {
      await c.publishAsync(t.manifest, payload, { qos: 1, retain: true });
      const r = await facegate(['sync', '--broker', broker.url, '--site', 'plant-9', '--db', join(dir, `dev-${name}`), '--pubkey', join(dir, 'keys', 'enroll.pub'),
        '--once', '--timeout', '3', '--json']);
      assert.equal(r.code, 1, `${name}: exit 1 (${r.stdout} ${r.stderr})`);
      const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { rejected: number; rejections: { reason: string }[] };
      assert.ok(s.rejected >= 1 && s.rejections.length >= 1 && s.rejections[0].reason, `${name}: reason in JSON: ${r.stdout}`);
    }
  } finally {
    await c?.endAsync(true);
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
