/**
 * `facegate audit anchor --log <path> [--key-file <k>] [--json]`: verifies the chain (rotated
 * segments included) and prints its head, the anchor to store off the device (backup, SIEM,
 * ticket). `audit verify --anchor <hash>` later fails if that entry was cut off or rewritten.
 * Exit 1, with no anchor, when the chain does not verify: an anchor of a broken log means nothing.
 */
import { readAuditKey, verifyAuditLog } from '../../../sdk/audit/index.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

export interface AuditAnchorOpts {
  log?: string;
  keyFile?: string;
  json?: boolean;
}

export default async function auditAnchor(o: AuditAnchorOpts): Promise<number> {
  if (!o.log) throw new FaceGateError('FG_CLI_USAGE', '--log <path> is required');
  const key = o.keyFile ? await readAuditKey(o.keyFile) : undefined;
  const r = await verifyAuditLog(o.log, { key });
  if (!r.ok) {
    const first = r.problems[0];
    throw new FaceGateError('FG_AUDIT', `${o.log} does not verify (first bad seq ${r.firstBadSeq}${first ? `: ${first.kind}: ${first.message}` : ''}); no anchor exported — run \`facegate audit verify --log ${o.log}\``);
  }
  const anchor = { log: r.path, seq: r.lastSeq, hash: r.head, mode: r.mode, entries: r.entries, segments: r.segments?.length ?? 0, exportedAt: new Date().toISOString() };
  if (o.json) process.stdout.write(JSON.stringify(anchor) + '\n');
  else process.stdout.write(`${anchor.hash}  seq ${anchor.seq} (${anchor.mode}, ${anchor.entries} entries${anchor.segments ? ` in ${anchor.segments + 1} files` : ''}) ${anchor.log}\n  keep it elsewhere; check later with: facegate audit verify --log ${anchor.log} --anchor ${anchor.hash}\n`);
  return 0;
}
