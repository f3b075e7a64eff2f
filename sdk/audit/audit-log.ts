/**
 * Append-only, hash-chained audit log (JSON lines, see audit-entry.ts).
 *
 * Appends never block the caller: `append` assigns seq and hash at once (so the chain follows
 * call order) and queues the line; one writer drains the queue, writing everything queued in one
 * write() followed by one fdatasync (group commit). The promise resolves when the entry is on
 * disk. A crash can leave a partly written last line; the next open keeps those bytes, and its
 * `audit-open` entry records their length and SHA-256 so verify can tell a torn write that was
 * recovered from an edit. One process appends at a time (a `<log>.lock` file holds its pid).
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FaceGateError, errorMessage } from '../errors.ts';
import { canonicalJson, type JsonValue } from './canonical-json.ts';
import { entryHash, GENESIS, parseEntry, serializeEntry, type AuditEntry } from './audit-entry.ts';
import { lineText, splitLines } from './log-lines.ts';

/** Largest entry line; larger fields are refused (a log line is not a place for images). */
export const MAX_ENTRY_BYTES = 64 * 1024;
/** How far back from the end the writer looks for the last intact entry. */
const TAIL_SCAN_BYTES = 2 * 1024 * 1024;

export interface AuditLogOptions {
  /** HMAC-SHA-256 key: entries can then only be forged with the key, and ids are pseudonymised. */
  key?: Uint8Array;
  /** 'fsync' (default): an append resolves after fdatasync. 'none': after write() only (tests, benchmarks). */
  durability?: 'fsync' | 'none';
  /** Clock for entry times (tests). */
  now?: () => Date;
  /**
   * Rotate when the file reaches this many bytes: it becomes `<log>.000001` (then .000002...) and
   * the new file goes on with the same chain (its first entry, `log-continued`, links to the last
   * entry of the segment). `audit verify` checks the segments and the log as one chain.
   */
  rotateBytes?: number;
}

/** Rotated segments of a log, oldest first: `<log>.000001`, `<log>.000002`, ... */
export async function auditSegments(path: string): Promise<string[]> {
  const base = basename(path);
  const names = await readdir(dirname(resolve(path))).catch(() => [] as string[]);
  const re = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d{6})$`);
  return names.filter((n) => re.test(n)).sort().map((n) => join(dirname(path), n));
}

const segmentName = (path: string, n: number) => `${path}.${String(n).padStart(6, '0')}`;

export interface AuditTail {
  seq: number;
  hash: string;
  /** Bytes after the last intact entry (a torn write), kept in the file. */
  tornBytes: number;
  tornSha256: string;
  endsWithNewline: boolean;
}

interface Pending {
  line: string;
  entry: AuditEntry;
  resolve: (e: AuditEntry) => void;
  reject: (e: unknown) => void;
}

/** Finds the last intact entry in the final TAIL_SCAN_BYTES of a log. */
export async function readTail(path: string): Promise<AuditTail> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { seq: 0, hash: GENESIS, tornBytes: 0, tornSha256: '', endsWithNewline: true };
    throw new FaceGateError('FG_AUDIT', `cannot read audit log ${path}: ${errorMessage(e)}`, { cause: e });
  }
  try {
    const size = (await fh.stat()).size;
    const from = Math.max(0, size - TAIL_SCAN_BYTES);
    const buf = Buffer.alloc(size - from);
    await fh.read(buf, 0, buf.length, from);
    const lines = splitLines(buf);
    // The first line of a window that does not start the file may be cut: never trust it.
    const first = from > 0 ? 1 : 0;
    for (let i = lines.length - 1; i >= first; i--) {
      const e = lines[i].terminated ? parseEntry(lineText(buf, lines[i])) : 'torn';
      if (typeof e === 'string') continue;
      const rest = buf.subarray(lines[i].end + 1);
      return { seq: e.seq, hash: e.hash, tornBytes: rest.length, tornSha256: rest.length ? createHash('sha256').update(rest).digest('hex') : '', endsWithNewline: rest.length === 0 || rest[rest.length - 1] === 0x0a };
    }
    if (size === 0) return { seq: 0, hash: GENESIS, tornBytes: 0, tornSha256: '', endsWithNewline: true };
    throw new FaceGateError('FG_AUDIT', `audit log ${path}: no intact entry in its last ${buf.length} bytes; run \`facegate audit verify --log ${path}\` and move the file aside`);
  } finally {
    await fh.close();
  }
}

/** Logs this process holds: the lock file alone cannot tell them apart (same pid). */
const heldHere = new Set<string>();

async function takeLock(lockPath: string): Promise<void> {
  if (heldHere.has(lockPath)) throw new FaceGateError('FG_AUDIT', `audit log is already open in this process (${lockPath})`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      heldHere.add(lockPath);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new FaceGateError('FG_AUDIT', `cannot create ${lockPath}: ${errorMessage(e)}`, { cause: e });
    }
    const pid = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new FaceGateError('FG_AUDIT', `audit log is in use by process ${pid} (${lockPath}); give this command its own log`);
    }
    await unlink(lockPath).catch(() => undefined); // stale: its process is gone
  }
  throw new FaceGateError('FG_AUDIT', `cannot take the audit log lock ${lockPath}`);
}

async function releaseLock(lockPath: string): Promise<void> {
  heldHere.delete(lockPath);
  await unlink(lockPath).catch(() => undefined);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class AuditLog {
  readonly path: string;
  #fh: FileHandle;
  #key: Uint8Array | undefined;
  #sync: boolean;
  #now: () => Date;
  #seq: number;
  #head: string;
  #queue: Pending[] = [];
  #writing: Promise<void> | undefined;
  #failed: Error | undefined;
  #closed = false;
  #batches = 0;
  #bytes = 0;
  #rotateBytes: number;

  private constructor(path: string, fh: FileHandle, tail: AuditTail, o: AuditLogOptions) {
    this.path = path;
    this.#fh = fh;
    this.#key = o.key;
    this.#sync = (o.durability ?? 'fsync') === 'fsync';
    this.#now = o.now ?? (() => new Date());
    this.#seq = tail.seq;
    this.#head = tail.hash;
    this.#rotateBytes = o.rotateBytes ?? Infinity;
  }

  /**
   * Opens (or creates, mode 0600) the log, takes its lock and appends an `audit-open` entry that
   * records the process, the hash mode and any torn bytes found after the last intact entry.
   */
  static async open(path: string, o: AuditLogOptions = {}): Promise<AuditLog> {
    if (o.key && o.key.length < 16) throw new FaceGateError('FG_AUDIT', 'audit key must be at least 16 bytes');
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const lockPath = resolve(`${path}.lock`);
    await takeLock(lockPath);
    let fh: FileHandle | undefined;
    try {
      let tail = await readTail(path);
      const segments = await auditSegments(path);
      // Rotated away: the new file continues the chain of the last segment.
      if (tail.seq === 0 && tail.tornBytes === 0 && segments.length) tail = await readTail(segments[segments.length - 1]);
      fh = await open(path, 'a', 0o600);
      const log = new AuditLog(path, fh, tail, o);
      log.#bytes = (await fh.stat()).size;
      // A torn write ended without its newline: terminate it so the next entry starts a line.
      if (!tail.endsWithNewline) await fh.write('\n');
      await log.append('audit-open', {
        pid: process.pid,
        mode: o.key ? 'hmac-sha256' : 'sha256',
        ...(tail.tornBytes ? { torn: { bytes: tail.tornBytes, sha256: tail.tornSha256 } } : {}),
      });
      return log;
    } catch (e) {
      await fh?.close().catch(() => undefined);
      await unlink(lockPath).catch(() => undefined);
      throw e;
    }
  }

  get seq(): number {
    return this.#seq;
  }

  /** Hash of the last entry: publish or store it elsewhere to anchor the log (see SECURITY.md). */
  get head(): string {
    return this.#head;
  }

  /** Number of write+sync batches so far (how well appends are grouped). */
  get batches(): number {
    return this.#batches;
  }

  get keyed(): boolean {
    return this.#key !== undefined;
  }

  /**
   * How an identity id is written: the id itself without a key; with a key a pseudonym
   * ("p:" + 32 hex of HMAC(key, id)), which the key holder can recompute to find a person's
   * entries but which does not reveal the id to someone who only has the file.
   */
  identity(id: string): string {
    if (!this.#key) return id;
    return 'p:' + createHmac('sha256', this.#key).update('identity\n' + id, 'utf8').digest('hex').slice(0, 32);
  }

  /** Queues one entry; resolves with it once written (and synced). Never blocks on I/O. */
  append(kind: string, fields: Record<string, JsonValue | undefined> = {}): Promise<AuditEntry> {
    if (this.#closed) return Promise.reject(new FaceGateError('FG_AUDIT', `audit log ${this.path} is closed`));
    if (this.#failed) return Promise.reject(new FaceGateError('FG_AUDIT', `audit log ${this.path} failed earlier: ${this.#failed.message}`, { cause: this.#failed }));
    let entry: AuditEntry;
    let line: string;
    try {
      // A copy in canonical form: drops undefined, refuses NaN/Infinity, detaches from the caller.
      const clean = JSON.parse(canonicalJson(fields)) as AuditEntry['fields'];
      const unsealed = { seq: this.#seq + 1, time: this.#now().toISOString(), kind, fields: clean, prev: this.#head };
      entry = { ...unsealed, hash: entryHash(unsealed, this.#key) };
      line = serializeEntry(entry);
    } catch (e) {
      return Promise.reject(e instanceof FaceGateError ? e : new FaceGateError('FG_INPUT_INVALID', `audit entry ${kind}: ${errorMessage(e)}`, { cause: e }));
    }
    if (Buffer.byteLength(line) > MAX_ENTRY_BYTES) {
      return Promise.reject(new FaceGateError('FG_INPUT_INVALID', `audit entry ${kind} is ${Buffer.byteLength(line)} bytes, limit ${MAX_ENTRY_BYTES}`));
    }
    this.#seq = entry.seq;
    this.#head = entry.hash;
    return new Promise<AuditEntry>((resolve, reject) => {
      this.#queue.push({ line, entry, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        if (this.#failed) throw this.#failed;
        const text = batch.map((p) => p.line + '\n').join('');
        await this.#fh.write(text);
        if (this.#sync) await this.#fh.datasync();
        this.#batches++;
        this.#bytes += Buffer.byteLength(text);
        // Before resolving: entries appended in reaction to these go to the new file.
        if (this.#bytes >= this.#rotateBytes && !this.#closed) await this.#rotate();
        for (const p of batch) p.resolve(p.entry);
      } catch (e) {
        // The chain in memory is now ahead of the file: refuse further appends rather than leave
        // a gap. The next open continues from what is on disk.
        this.#failed ??= e instanceof Error ? e : new Error(String(e));
        for (const p of batch) p.reject(new FaceGateError('FG_AUDIT', `audit write to ${this.path} failed: ${errorMessage(e)}`, { cause: e }));
      }
    }
    this.#writing = undefined;
  }

  /**
   * Moves the file aside as the next segment and starts a new one whose first entry continues
   * the chain (seq and prev follow on). Runs inside the writer, between batches.
   */
  async #rotate(): Promise<void> {
    const segments = await auditSegments(this.path);
    const last = segments.length ? Number(segments[segments.length - 1].slice(-6)) : 0;
    const segment = segmentName(this.path, last + 1);
    await this.#fh.close();
    await rename(this.path, segment);
    this.#fh = await open(this.path, 'a', 0o600);
    this.#bytes = 0;
    void this.append('log-continued', { segment: basename(segment), lastSeq: this.#seq, lastHash: this.#head }).catch(() => undefined);
  }

  /** Rotates now (e.g. for a retention policy); resolves once the new file's first entry is written. */
  async rotate(): Promise<void> {
    await this.flush();
    await this.#rotate();
    await this.flush();
  }

  /** Resolves when every queued entry has been written. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** Writes what is queued, closes the file and releases the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
    await this.#fh.close();
    await releaseLock(resolve(`${this.path}.lock`));
  }
}
