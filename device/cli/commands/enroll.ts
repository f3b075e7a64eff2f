/**
 * `facegate enroll`: bulk from a labelled CSV (--labeled-csv + --images) or one identity from
 * image arguments (--id). Creates the gallery on first use, bound to the embedder's model.
 */
import { FaceGateError } from '../../../sdk/errors.ts';
import { enrolImages, type LabeledImage } from '../../../sdk/gallery/image-jobs.ts';
import { createProgress } from '../../../calibration/progress.ts';
import { openWithPipeline, readLabeledCsv, type PipelineFlags } from '../gallery-cli.ts';
import { num, usage } from '../flag-values.ts';
import { galleryKey, type KeyFlags } from './key-flag.ts';
import { auditIds, cliAudit, type AuditFlags } from '../../audit/device-audit.ts';

export interface EnrollFlags extends PipelineFlags, KeyFlags, AuditFlags {
  db?: string;
  labeledCsv?: string;
  images?: string;
  id?: string;
  name?: string;
  fallback?: boolean;
  maxPerIdentity?: string;
  progress?: boolean;
  json?: boolean;
}

export default async function enroll(f: EnrollFlags, args: string[] = []): Promise<number> {
  if (!f.db) throw usage('--db <dir> is required');
  const key = galleryKey(f);
  let items: LabeledImage[];
  if (f.labeledCsv) {
    if (f.id || args.length) throw usage('use either --labeled-csv or --id with image files, not both');
    if (!f.images) throw usage('--labeled-csv needs --images <dir> (the folder its image paths are relative to)');
    items = await readLabeledCsv(f.labeledCsv, f.images);
    const max = num('--max-per-identity', f.maxPerIdentity, { integer: true, min: 1 });
    if (max !== undefined) {
      const seen = new Map<string, number>();
      items = items.filter((it) => {
        const n = (seen.get(it.identity) ?? 0) + 1;
        seen.set(it.identity, n);
        return n <= max;
      });
    }
  } else {
    if (!f.id) throw usage('give --labeled-csv <csv> --images <dir>, or --id <id> <image...>');
    if (args.length === 0) throw usage('--id needs at least one image file');
    items = args.map((image) => ({ identity: f.id!, image, path: image }));
  }
  if (items.length === 0) throw new FaceGateError('FG_CSV_INVALID', `${f.labeledCsv}: no rows to enrol`);

  const audit = await cliAudit(f, f.db); // before any change: a log in use stops the command
  const { gallery, pipeline } = await openWithPipeline(f.db, f, true, key).catch(async (e: unknown) => { await audit?.close(); throw e; });
  try {
    const progress = createProgress(items.length, 'enrol', { enabled: f.progress !== false && items.length > 1 });
    const r = await enrolImages(gallery, pipeline, items, { fallback: f.fallback ?? false, name: f.name, onImage: () => progress.tick() });
    progress.done();
    await gallery.flush();
    await audit?.append('identities-enrolled', { source: 'cli', ...auditIds(audit, items.map((it) => it.identity)), images: items.length, templates: r.templatesAdded, created: r.created });
    const stats = gallery.stats();
    const out = {
      db: f.db, model: gallery.modelId, images: items.length,
      identities_enrolled: r.identities, identities_created: r.created, templates_added: r.templatesAdded, duplicates_skipped: r.duplicates,
      no_face: r.noFace, failed: r.failed,
      gallery: { identities: stats.identities, templates: stats.templates, generation: stats.generation },
    };
    if (f.json) process.stdout.write(JSON.stringify(out) + '\n');
    else {
      process.stdout.write(`enrolled ${r.templatesAdded} templates for ${r.identities} identities (${r.created} new, ${r.duplicates} duplicates skipped) into ${f.db} [${gallery.modelId}]\n`);
      for (const p of r.noFace) process.stdout.write(`no face: ${p.image}${p.identity ? ` (${p.identity})` : ''}\n`);
      for (const p of r.failed) process.stdout.write(`failed: ${p.image}: ${p.error}\n`);
      process.stdout.write(`gallery: ${stats.identities} identities, ${stats.templates} templates\n`);
    }
    return r.templatesAdded + r.duplicates > 0 ? 0 : 1;
  } finally {
    await audit?.close();
    await pipeline.release();
    await gallery.close();
  }
}
