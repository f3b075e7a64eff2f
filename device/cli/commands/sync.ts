import { FaceGateError } from '../../../sdk/errors.ts';
import { stderrLogger } from '../../../sdk/logger.ts';
import { loadPublicKeys } from '../../../sdk/mqtt/enrollment-keys.ts';
import { syncGallery } from '../../../sdk/mqtt/gallery-sync.ts';
import { loadEnrollmentKeys } from '../../../sdk/mqtt/enrollment-cipher.ts';
import { brokerOptions, type BrokerFlags } from './mqtt-flags.ts';
import { galleryKey, type KeyFlags } from './key-flag.ts';

/** `facegate sync`: apply the site's signed enrolment to a gallery; --once exits after the retained state. */
export default async function sync(opts: BrokerFlags & KeyFlags & {
  site: string; db: string; pubkey: string; fleetKey?: string[]; once?: boolean; device?: string; model?: string; dim?: string; timeout?: string; json?: boolean; verbose?: boolean;
}): Promise<number> {
  const dim = opts.dim === undefined ? undefined : Number(opts.dim);
  if (dim !== undefined && !(Number.isInteger(dim) && dim > 0)) throw new FaceGateError('FG_CLI_USAGE', `--dim must be a positive integer, got ${opts.dim}`);
  const key = galleryKey(opts);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const line = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
  try {
    const r = await syncGallery({
      broker: brokerOptions(opts), site: opts.site, galleryDir: opts.db, publicKeys: await loadPublicKeys(opts.pubkey),
      fleetKeys: opts.fleetKey ? loadEnrollmentKeys(opts.fleetKey) : undefined, device: opts.device, modelId: opts.model, dim, galleryKey: key, once: opts.once ?? false, signal: abort.signal,
      timeoutMs: opts.timeout ? Number(opts.timeout) * 1000 : undefined,
      logger: opts.verbose ? stderrLogger : undefined,
      onApplied: opts.once ? undefined : (e) => (opts.json ? line({ applied: e }) : process.stdout.write(`applied ${e.kind} ${e.version}: ${e.identities} identities\n`)),
      onRejected: (e) => { if (!opts.json) process.stderr.write(`rejected (${e.reason}) ${e.topic}: ${e.message}\n`); },
    });
    const summary = { version: r.version, identities: r.identities, rejected: r.rejected, snapshotVersion: r.snapshotVersion, modelId: r.modelId, incomplete: r.incomplete, waitingDeltas: r.waitingDeltas, rejections: r.rejections };
    if (opts.json) line(summary);
    else process.stdout.write(`version ${r.version}, ${r.identities} identities, ${r.rejected} rejected message(s)${r.incomplete ? ', snapshot INCOMPLETE' : ''}\n`);
    // One rule: anything rejected (or a snapshot left incomplete) exits 1; the reasons are in the summary.
    return r.incomplete || r.rejected > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
