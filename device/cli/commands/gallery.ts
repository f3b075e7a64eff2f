/** `facegate gallery --db <dir> [--list] [--json]`: counts, model and index state of a gallery. */
import { Gallery } from '../../../sdk/gallery/index.ts';
import { usage } from '../flag-values.ts';
import { galleryKey, type KeyFlags } from './key-flag.ts';

export default async function gallery(f: { db?: string; list?: boolean; json?: boolean } & KeyFlags): Promise<number> {
  if (!f.db) throw usage('--db <dir> is required');
  const g = await Gallery.open(f.db, { loadIndex: false, key: galleryKey(f) });
  try {
    // An admin look reads every row: a damaged gallery is reported here, not at the door.
    const verified = g.verify();
    const s = g.stats();
    const identities = f.list ? g.list().map((i) => ({ id: i.id, name: i.name, templates: i.templates, enabled: i.enabled, valid_from: i.validFrom, valid_until: i.validUntil })) : undefined;
    const out = { db: f.db, model: s.modelId, dim: s.dim, identities: s.identities, templates: s.templates, centres: s.centres, generation: s.generation, version: s.version, encrypted: g.encrypted, verified: verified.templates,
      index: { exact_below: s.index.exactBelow, m: s.index.m, ef: s.index.ef, centres: s.index.centres }, ...(identities ? { list: identities } : {}) };
    if (f.json) process.stdout.write(JSON.stringify(out) + '\n');
    else {
      process.stdout.write(`${f.db}: ${s.identities} identities, ${s.templates} templates, model ${s.modelId} (${s.dim}-d), generation ${s.generation}, version ${s.version}${g.encrypted ? ', encrypted' : ''}\n`);
      for (const i of identities ?? []) process.stdout.write(`${i.id}\t${i.name ?? ''}\t${i.templates}${i.enabled ? '' : '\tdisabled'}\n`);
    }
    return 0;
  } finally {
    await g.close();
  }
}
