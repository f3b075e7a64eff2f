import { FaceGateError } from '../../../sdk/errors.ts';
import { loadPrivateKey } from '../../../sdk/mqtt/enrollment-keys.ts';
import { publishGallery } from '../../../sdk/mqtt/gallery-sync.ts';
import { loadEnrollmentKeys } from '../../../sdk/mqtt/enrollment-cipher.ts';
import { brokerOptions, type BrokerFlags } from './mqtt-flags.ts';
import { galleryKey, type KeyFlags } from './key-flag.ts';

/** `facegate enrollment publish`: the gallery as a signed snapshot, or (--delta) the changes since the retained state. */
export default async function enrollmentPublish(opts: BrokerFlags & KeyFlags & {
  site: string; db: string; key: string; fleetKey?: string[]; delta?: boolean; encoding?: string; version?: string; timeout?: string; json?: boolean;
}): Promise<number> {
  if (opts.encoding !== undefined && opts.encoding !== 'f16' && opts.encoding !== 'i8') throw new FaceGateError('FG_CLI_USAGE', `--encoding must be f16 or i8, got ${opts.encoding}`);
  const version = opts.version === undefined ? undefined : Number(opts.version);
  if (version !== undefined && !(Number.isSafeInteger(version) && version > 0)) throw new FaceGateError('FG_CLI_USAGE', `--version must be a positive integer, got ${opts.version}`);
  const r = await publishGallery({
    broker: brokerOptions(opts), site: opts.site, galleryDir: opts.db, privateKey: await loadPrivateKey(opts.key), galleryKey: galleryKey(opts),
    fleetKeys: opts.fleetKey ? loadEnrollmentKeys(opts.fleetKey) : undefined, delta: opts.delta, encoding: opts.encoding as 'f16' | 'i8' | undefined, version, timeoutMs: opts.timeout ? Number(opts.timeout) * 1000 : undefined,
  });
  if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
  else if (r.kind === 'snapshot') process.stdout.write(`snapshot ${r.version}: ${r.identities} identities, ${r.templates} templates, ${r.chunks} chunks, ${r.bytes} bytes (${r.encoding}); cleared ${r.cleared} superseded topics\n`);
  else if (r.unchanged) process.stdout.write(`no changes since version ${r.fromVersion}\n`);
  else process.stdout.write(`delta ${r.fromVersion} -> ${r.versions.at(-1)}: ${r.upserts} upserts, ${r.removes} removes in ${r.versions.length} message(s)\n`);
  return 0;
}
