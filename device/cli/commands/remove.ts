/** `facegate remove --db <dir> --id <id>`: removes an identity and its templates. */
import { Gallery } from '../../../sdk/gallery/index.ts';
import { usage } from '../flag-values.ts';
import { galleryKey, type KeyFlags } from './key-flag.ts';
import { auditIds, cliAudit, type AuditFlags } from '../../audit/device-audit.ts';

export default async function remove(f: { db?: string; id?: string; json?: boolean } & KeyFlags & AuditFlags): Promise<number> {
  if (!f.db) throw usage('--db <dir> is required');
  if (!f.id) throw usage('--id <id> is required');
  // The index is loaded so that close() rewrites the index file without the removed vectors
  // (erasure); the database side is secure_delete + WAL truncation, done by remove() itself.
  const gallery = await Gallery.open(f.db, { key: galleryKey(f), worker: false });
  // Opened first so that a log in use (or a bad audit key) stops the command before any change.
  const audit = await cliAudit(f, f.db).catch(async (e: unknown) => { await gallery.close(); throw e; });
  try {
    const r = gallery.remove(f.id);
    await audit?.append('identity-removed', { source: 'cli', ...auditIds(audit, [f.id]), templates: r.removedTemplates });
    const s = gallery.stats();
    if (f.json) process.stdout.write(JSON.stringify({ removed: f.id, templates_removed: r.removedTemplates, gallery: { identities: s.identities, templates: s.templates, generation: s.generation } }) + '\n');
    else process.stdout.write(`removed ${f.id} (${r.removedTemplates} templates); ${s.identities} identities left\n`);
    return 0;
  } finally {
    await audit?.close();
    await gallery.close();
  }
}
