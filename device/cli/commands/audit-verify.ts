/**
 * `facegate audit verify --log <path> [--key-file <k>] [--anchor <hash>...] [--json]`: checks the
 * hash chain of an audit log. Exit 0 when every entry verifies, 1 when one is changed, missing,
 * out of order or torn (the first bad seq is named), or an anchor is not in the chain.
 */
import { readAuditKey, verifyAuditLog, type VerifyReport } from '../../../sdk/audit/index.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

export interface AuditVerifyOpts {
  log?: string;
  keyFile?: string;
  anchor?: string[];
  json?: boolean;
}

export default async function auditVerify(o: AuditVerifyOpts): Promise<number> {
  if (!o.log) throw new FaceGateError('FG_CLI_USAGE', '--log <path> is required');
  for (const a of o.anchor ?? []) {
    if (!/^[0-9a-fA-F]{64}$/.test(a)) throw new FaceGateError('FG_CLI_USAGE', `--anchor must be a 64-hex-digit entry hash, got "${a}"`);
  }
  const key = o.keyFile ? await readAuditKey(o.keyFile) : undefined;
  const r = await verifyAuditLog(o.log, { key, anchors: o.anchor });
  if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
  else printText(r);
  return r.ok ? 0 : 1;
}

function printText(r: VerifyReport): void {
  const out: string[] = [];
  if (r.ok) out.push(`${r.path}: OK, ${r.entries} entries, seq 1..${r.lastSeq} (${r.mode}), head ${r.head}`);
  else out.push(`${r.path}: BAD, first bad seq ${r.firstBadSeq ?? '-'} (${r.entries} entries read, ${r.mode})`);
  if (r.recoveredTorn) out.push(`  ${r.recoveredTorn} torn write(s) recovered by a later open`);
  for (const p of r.problems) out.push(`  seq ${p.seq}, line ${p.line} (byte ${p.offset}): ${p.kind}: ${p.message}`);
  for (const a of r.missingAnchors ?? []) out.push(`  anchor ${a} is not the hash of any intact entry (entries cut off or rewritten)`);
  process.stdout.write(out.join('\n') + '\n');
}
