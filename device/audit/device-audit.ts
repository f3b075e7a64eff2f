/**
 * Audit wiring for the device and the admin CLI: where the log lives, opening it with its key,
 * and an EnrollmentTarget decorator that appends every gallery change applied from signed MQTT
 * snapshots and deltas. Identity ids go through `AuditLog.identity` (a keyed pseudonym when the
 * log has a key); display names are never written.
 */
import { dirname, join, relative, resolve, isAbsolute, sep } from 'node:path';
import { AuditLog, readAuditKey } from '../../sdk/audit/index.ts';
import type { JsonValue } from '../../sdk/audit/index.ts';
import { FaceGateError, errorMessage } from '../../sdk/errors.ts';
import type { Logger } from '../../sdk/logger.ts';
import type { EnrollmentDelta, EnrollmentModel, EnrollmentTarget } from '../../sdk/mqtt/enrollment-target.ts';
import type { TemplateRecord } from '../../sdk/mqtt/template-codec.ts';

export const AUDIT_FILE = 'audit.log';

/** Default log path: beside the gallery directory, never inside it (no identity id under the gallery dir). */
export function defaultAuditPath(galleryDir: string): string {
  return join(dirname(resolve(galleryDir)), AUDIT_FILE);
}

function inside(dir: string, path: string): boolean {
  const r = relative(resolve(dir), resolve(path));
  return r === '' || (!r.startsWith('..' + sep) && r !== '..' && !isAbsolute(r));
}

/**
 * Opens the audit log. Refuses an unkeyed log inside the gallery directory: it would hold
 * identity ids in clear where the gallery promises none.
 */
export async function openAudit(o: { path: string; keyFile?: string; galleryDir?: string; rotateMb?: number }): Promise<AuditLog> {
  if (o.galleryDir && !o.keyFile && inside(o.galleryDir, o.path)) {
    throw new FaceGateError('FG_CONFIG_INVALID', `audit log ${o.path} is inside the gallery directory ${o.galleryDir}; put it elsewhere (default: ${defaultAuditPath(o.galleryDir)}) or give it a key`);
  }
  const key = o.keyFile ? await readAuditKey(o.keyFile) : undefined;
  return AuditLog.open(o.path, { key, ...(o.rotateMb ? { rotateBytes: o.rotateMb * 1024 * 1024 } : {}) });
}

/** Appends without waiting; a failure is logged once (the log stops taking entries after one). */
export function auditSink(log: AuditLog, logger: Logger, onError?: () => void): (kind: string, fields: Record<string, JsonValue | undefined>) => void {
  let reported = false;
  return (kind, fields) => {
    log.append(kind, fields).catch((e: unknown) => {
      onError?.();
      if (reported) return;
      reported = true;
      logger.error('audit append failed; further entries are lost until restart', { kind, error: errorMessage(e) });
    });
  };
}

/** Ids listed up to ~24 KB, so an entry stays under the log's 64 KiB line limit. */
function bounded(ids: string[], maxChars = 24_000): { list: string[]; cut: boolean } {
  let n = 0;
  let i = 0;
  for (; i < ids.length; i++) {
    const len = JSON.stringify(ids[i]).length + 1; // as written, escapes included
    if (n + len > maxChars) break;
    n += len;
  }
  return { list: ids.slice(0, i), cut: i < ids.length };
}

/** Wraps an enrolment target so each applied snapshot and delta is appended after it succeeded. */
export function auditedTarget(inner: EnrollmentTarget, log: AuditLog, append: ReturnType<typeof auditSink>): EnrollmentTarget {
  return {
    model: () => inner.model(),
    version: () => inner.version(),
    identityCount: () => inner.identityCount(),
    exportRecords: () => inner.exportRecords(),
    async applySnapshot(records: TemplateRecord[], version: number, model: EnrollmentModel) {
      await inner.applySnapshot(records, version, model);
      append('gallery-snapshot', { source: 'mqtt', version, model: model.modelId, identities: records.length, templates: records.reduce((n, r) => n + r.templates.length, 0) });
    },
    async applyDelta(delta: EnrollmentDelta) {
      await inner.applyDelta(delta);
      const up = auditIds(log, delta.upserts.map((r) => r.identity));
      const rm = auditIds(log, delta.removes);
      append('gallery-delta', {
        source: 'mqtt', version: delta.version, upserts: delta.upserts.length, removes: delta.removes.length,
        upserted: up.ids, removed: rm.ids, truncated: up.truncated ?? rm.truncated,
      });
    },
  };
}

export interface AuditFlags {
  auditLog?: string;
  auditKeyFile?: string;
}

/** The admin CLI's log (`--audit-log`, `--audit-key-file`); none unless asked for. */
export async function cliAudit(f: AuditFlags, galleryDir: string): Promise<AuditLog | undefined> {
  if (!f.auditLog) {
    if (f.auditKeyFile) throw new FaceGateError('FG_CLI_USAGE', '--audit-key-file needs --audit-log <path>');
    return undefined;
  }
  return openAudit({ path: f.auditLog, keyFile: f.auditKeyFile, galleryDir });
}

/** Identity ids as the log writes them, bounded in size. */
export function auditIds(log: AuditLog, ids: Iterable<string>): { ids: string[]; truncated?: true } {
  const b = bounded([...new Set(ids)].map((id) => log.identity(id)));
  return b.cut ? { ids: b.list, truncated: true } : { ids: b.list };
}
