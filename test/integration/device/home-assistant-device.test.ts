/**
 * Home Assistant against the real terminal: startDevice with the real pack, real photos, a real
 * Mosquitto and a door command. The discovery it publishes passes HA's rules and names the
 * product, version and model pack; the sensors render the real decisions; the diagnostics carry
 * measured figures; HA's door button opens the door through the command topic and is audited.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../device/config/load-config.ts';
import { startDevice } from '../../../device/run-device.ts';
import { REPO_ROOT } from '../../../models/paths.ts';
import { createPipeline } from '../../../sdk/pipeline/index.ts';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { deviceTopics } from '../../../sdk/mqtt/topics.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';
import { needModels } from '../../helpers/pack.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';
import { Collector } from '../../helpers/mqtt-collector.ts';
import { checkDiscovery, parseDiscoveryTopic } from '../../helpers/ha-mqtt-rules.ts';
import { renderTemplate } from '../../helpers/jinja-subset.ts';

const skip = needModels('mtcnn-pnet', 'mobilefacenet-192') || (hasMosquitto ? false : 'mosquitto not installed');

test('door.remoteOpen is off by default; the button is offered only when it is on', () => {
  const base = { site: 's', device: 'd', camera: { type: 'files', path: '/tmp' }, gallery: { db: '/tmp/g' }, match: { threshold: 1 } };
  const cfg = parseConfig({ ...base, door: { type: 'gpio', line: 17 } });
  assert.equal(cfg.door.type === 'gpio' && cfg.door.remoteOpen, false);
  assert.throws(() => parseConfig({ ...base, door: { type: 'none', remoteOpen: true } }), /remoteOpen|Unrecognized/);
});

test('startDevice with Home Assistant: discovery passes HA rules (version, model pack), sensors follow real decisions, diagnostics measured, door button audited', { skip, timeout: 240_000 }, async (ctx) => {
  const broker = await Mosquitto.start();
  const work = await mkdtemp(join(tmpdir(), 'fg-ha-dev-'));
  const galleryDir = join(work, 'gallery');
  const photos = await demoPhotos();
  const pipeline = await createPipeline({ detector: 'mtcnn', embedder: 'mobilefacenet-192' });
  const g = await Gallery.open(galleryDir, { modelId: pipeline.modelId, dim: pipeline.embedder.dim, create: true });
  g.enroll('visitor-7', [(await pipeline.analyze(photos[0])).faces[0].embedding], { source: 'test' });
  await g.close();
  await pipeline.release();
  const frames = join(work, 'frames');
  await mkdir(frames);
  await copyFile(photos[0], join(frames, '001.jpg'));
  await copyFile(photos[1], join(frames, '002.jpg'));
  const doorLog = join(work, 'door.log');
  const cfg = parseConfig({
    site: 'ha', device: 'door-1', camera: { type: 'files', path: frames, fps: 4, loop: false, repeat: 3 },
    mqtt: { url: broker.url, homeAssistant: true, queueDb: join(work, 'queue.sqlite') },
    gallery: { db: galleryDir }, match: { threshold: 1.0, margin: 0.05 },
    pipeline: { detector: 'mtcnn', embedder: 'mobilefacenet-192', minFaceSize: 40 },
    decision: { votes: 2, window: 3, minInterEyePx: 10, minBlur: 1, cooldownSec: 60 },
    liveness: { enabled: false }, http: { port: 0 },
    door: { type: 'command', command: '/bin/sh', args: ['-c', `echo "$FACEGATE_DECISION_ID" >> ${doorLog}`], pulseMs: 50, remoteOpen: true },
  });
  const t = deviceTopics('ha', 'door-1');
  const sub = await Collector.start(broker.url, ['homeassistant/#', 'facegate/ha/door-1/#']);
  const device = await startDevice(cfg);
  try {
    await device.ended;
    await device.link.flush(10_000);
    device.link.publishStatus();
    await sub.until(() => sub.json<{ fps?: number }>(t.status).some((s) => (s.fps ?? 0) > 0), 10_000, 'status with fps');

    const configs = new Map<string, Record<string, unknown> & { value_template?: string }>();
    for (const m of sub.messages.filter((x) => x.topic.startsWith('homeassistant/') && x.payload.length > 0)) {
      assert.deepEqual(checkDiscovery(m.topic, m.payload.toString('utf8')), [], m.topic);
      configs.set(parseDiscoveryTopic(m.topic)!.object, JSON.parse(m.payload.toString('utf8')) as Record<string, unknown>);
    }
    assert.equal(configs.size, 11, [...configs.keys()].join());
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const dev = configs.get('door')!.device as Record<string, string>;
    assert.equal(dev.sw_version, pkg.version);
    assert.equal(dev.model, 'FaceGate terminal');
    assert.match(dev.model_id, /^mtcnn \+ mobilefacenet-192, pack [0-9a-f]{12}$/);

    // Real decisions: the door event and both sensors render what the decision says.
    const decisions = sub.json<{ id: string; decision: string; identity: string | null; reason?: string }>(t.decision);
    const summaries = sub.on(t.lastDecision).map((m) => m.payload.toString('utf8'));
    assert.ok(decisions.some((d) => d.decision === 'grant' && d.identity === 'visitor-7'), JSON.stringify(decisions));
    assert.equal(summaries.length, decisions.length);
    for (let i = 0; i < decisions.length; i++) {
      const d = decisions[i];
      const ev = JSON.parse(renderTemplate(configs.get('door')!.value_template!, JSON.stringify(d))) as { event_type: string; identity: string | null };
      const state = renderTemplate(configs.get('last_decision')!.value_template!, summaries[i]);
      const person = renderTemplate(configs.get('last_person')!.value_template!, summaries[i]);
      if (d.decision === 'grant') assert.deepEqual([ev.event_type, ev.identity, state, person], ['grant', 'visitor-7', 'grant', 'visitor-7']);
      else {
        assert.equal(ev.identity, null);
        assert.notEqual(person, d.identity ?? '');
        assert.deepEqual([ev.event_type, state], d.decision === 'unknown' ? ['unknown', 'stranger'] : ['deny', 'deny']);
      }
    }

    // Diagnostics, rendered on the status the device published after the run.
    const status = sub.on(t.status).filter((m) => m.payload.length > 0).at(-1)!.payload.toString('utf8');
    const fps = Number(renderTemplate(configs.get('fps')!.value_template!, status));
    const p50 = Number(renderTemplate(configs.get('latency_p50')!.value_template!, status));
    // A 4 fps camera. Over the few frames of this run the rate jitters (a frame stalled behind the
    // first embeddings, then the queued ones done in a burst: 5-9 measured), so the bound only
    // catches a wrong unit (per ms, per minute) or a figure that is not measured at all.
    assert.ok(fps > 0 && fps < 4 * 3, `fps ${fps}`);
    assert.ok(p50 > 0, `latency p50 ${p50}`);
    ctx.diagnostic(`decisions ${decisions.map((d) => d.decision).join(',')}; status fps ${fps}, latency p50 ${p50} ms`);
    assert.equal(renderTemplate(configs.get('gallery_identities')!.value_template!, status), '1');
    assert.equal(renderTemplate(configs.get('presentation_attacks')!.value_template!, status), '0');

    // HA's button: the door pulses (the command sees the transaction), the opening is audited.
    const button = configs.get('open_door')!;
    await sub.client.publishAsync(button.command_topic as string, button.payload_press as string, { qos: 1 });
    await sub.until(() => sub.on(t.commandResult('open-door')).length === 1, 10_000, 'button result');
    assert.deepEqual(sub.json<{ txn: string; ok: boolean }>(t.commandResult('open-door'))[0].ok, true);
    await sub.until(() => sub.json<{ type: string }>(t.event).some((e) => e.type === 'door-opened'), 5000, 'door-opened event');
    const pulses = (await readFile(doorLog, 'utf8')).trim().split('\n');
    assert.ok(pulses.includes('remote:home-assistant'), pulses.join());
    const audit = (await readFile(join(work, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { kind: string; fields: Record<string, unknown> });
    assert.deepEqual(audit.filter((l) => l.kind === 'door-remote-open').map((l) => l.fields), [{ txn: 'home-assistant', source: 'mqtt' }]);
  } finally {
    await device.stop();
    await sub.close();
    await broker.dispose();
    await rm(work, { recursive: true, force: true });
  }
});
