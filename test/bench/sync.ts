/**
 * Time to sync a 10k and a 100k identity snapshot to an empty device over a real Mosquitto:
 * publish (encode f16, sign, send retained) and device sync (receive, verify, decode, apply to an
 * empty gallery store in one transaction), plus opening the synced gallery with its index.
 *
 *   node --import tsx test/bench/sync.ts [--sizes 10000,100000] [--dim 192] [--templates 1]
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBroker } from '../../sdk/mqtt/connect.ts';
import { publishSnapshot } from '../../sdk/mqtt/enrollment-publisher.ts';
import { syncGallery } from '../../sdk/mqtt/gallery-sync.ts';
import { Gallery } from '../../sdk/gallery/index.ts';
import { Mosquitto, hasMosquitto } from '../helpers/mosquitto.ts';
import { unitVectors } from '../helpers/memory-target.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const sizes = arg('sizes', '10000,100000').split(',').map(Number);
const dim = Number(arg('dim', '192'));
const perId = Number(arg('templates', '1'));

if (!hasMosquitto) {
  console.error('bench/sync: needs /usr/sbin/mosquitto');
  process.exit(1);
}
const broker = await Mosquitto.start({ persistence: false });
const key = generateKeyPairSync('ed25519');
const dir = await mkdtemp(join(tmpdir(), 'fg-bench-sync-'));
const mb = (b: number) => (b / 1048576).toFixed(1);
try {
  for (const n of sizes) {
    const site = `bench${n}`;
    const vecs = unitVectors(n * perId, dim, n);
    const records = Array.from({ length: n }, (_, i) => ({ identity: `person-${String(i).padStart(7, '0')}`, templates: vecs.slice(i * perId, (i + 1) * perId) }));
    const pub = await connectBroker({ url: broker.url, clientId: `bench-pub-${n}` });
    let t0 = performance.now();
    const snap = await publishSnapshot(pub, { site, privateKey: key.privateKey, source: { modelId: 'mobilefacenet-192', dim, records }, timeoutMs: 120_000 });
    const publishMs = performance.now() - t0;
    console.error(`# ${n}: published in ${Math.round(publishMs)} ms`);
    await pub.endAsync();
    const db = join(dir, `device-${n}`);
    const rss0 = process.memoryUsage().rss;
    t0 = performance.now();
    const r = await syncGallery({ broker: { url: broker.url }, site, galleryDir: db, publicKeys: [key.publicKey], once: true, timeoutMs: 600_000 });
    const syncMs = performance.now() - t0;
    console.error(`# ${n}: synced in ${Math.round(syncMs)} ms`);
    const rss1 = process.memoryUsage().rss;
    if (r.identities !== n || r.version !== snap.version || r.rejected !== 0) throw new Error(`sync incomplete: ${JSON.stringify(r)}`);
    t0 = performance.now();
    const g = await Gallery.open(db, { worker: false });
    const openMs = performance.now() - t0;
    const st = g.stats();
    await g.close();
    console.log(JSON.stringify({
      identities: n, templates: n * perId, dim, encoding: snap.encoding, chunks: snap.chunks, snapshotMB: Number(mb(snap.bytes)),
      publishMs: Math.round(publishMs), syncMs: Math.round(syncMs), openWithIndexMs: Math.round(openMs), index: st.index.kind,
      rssGrowthMB: Number(mb(rss1 - rss0)),
    }));
  }
} finally {
  await broker.dispose();
  await rm(dir, { recursive: true, force: true });
}
