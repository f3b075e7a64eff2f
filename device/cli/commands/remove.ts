/** `facegate remove --db <dir> --id <id>`: removes an identity and its templates. */
import { Gallery } from '../../../sdk/gallery/index.ts';
import { usage } from '../gallery-cli.ts';

export default async function remove(f: { db?: string; id?: string; json?: boolean }): Promise<number> {
  if (!f.db) throw usage('--db <dir> is required');
  if (!f.id) throw usage('--id <id> is required');
  // The index is not loaded: the next open repairs it from the database (a cheap markDelete).
  const gallery = await Gallery.open(f.db, { loadIndex: false });
  try {
    const r = gallery.remove(f.id);
    const s = gallery.stats();
    if (f.json) process.stdout.write(JSON.stringify({ removed: f.id, templates_removed: r.removedTemplates, gallery: { identities: s.identities, templates: s.templates, generation: s.generation } }) + '\n');
    else process.stdout.write(`removed ${f.id} (${r.removedTemplates} templates); ${s.identities} identities left\n`);
    return 0;
  } finally {
    await gallery.close();
  }
}
