export { canonicalJson, type JsonValue } from './canonical-json.ts';
export { entryHash, serializeEntry, parseEntry, GENESIS, DOMAIN, type AuditEntry } from './audit-entry.ts';
export { AuditLog, readTail, auditSegments, MAX_ENTRY_BYTES, type AuditLogOptions, type AuditTail } from './audit-log.ts';
export { verifyAuditLog, verifyAuditBytes, type VerifyReport, type AuditProblem, type ProblemKind, type VerifyOptions } from './verify-log.ts';
export { readAuditKey, AUDIT_KEY_INFO } from './audit-key.ts';
