/** Parent side of device-child.ts: fork, talk over IPC, SIGKILL. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildConfig } from './device-child.ts';
import type { DecisionInput } from '../../sdk/mqtt/decision-message.ts';
import type { DeviceEventFields, DeviceEventType } from '../../sdk/mqtt/device-events.ts';

const CHILD = fileURLToPath(new URL('./device-child.ts', import.meta.url));

export interface ChildStats {
  pid: number; queued: number; acked: number; connected: boolean; version: number; identities: number;
  rejected: number; digest: string; snapshotVersion: number; pending: unknown; bufferedDeltas: number;
}

export class DeviceProcess {
  readonly proc: ChildProcess;
  readonly decided: string[] = [];
  readonly events: Record<string, unknown>[] = [];
  readonly commands: { name: string; txn: string; args: unknown }[] = [];
  #waiters: ((m: Record<string, unknown>) => boolean)[] = [];
  stderr = '';

  private constructor(proc: ChildProcess) {
    this.proc = proc;
    proc.stderr?.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-20_000); });
    proc.on('message', (m: Record<string, unknown>) => {
      if (typeof m.decided === 'string') this.decided.push(m.decided);
      if (m.event) this.events.push(m.event as Record<string, unknown>);
      if (m.command) this.commands.push(m.command as { name: string; txn: string; args: unknown });
      this.#waiters = this.#waiters.filter((w) => !w(m));
    });
  }

  static async start(cfg: ChildConfig): Promise<DeviceProcess> {
    const proc = fork(CHILD, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, FG_CHILD_CONFIG: JSON.stringify(cfg) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const d = new DeviceProcess(proc);
    await d.#next((m) => m.ready === true, 30_000, 'child ready');
    return d;
  }

  #next(pred: (m: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`device child: timed out waiting for ${what}\n${this.stderr}`)), timeoutMs);
      const onExit = (code: number | null, sig: string | null) => { clearTimeout(timer); reject(new Error(`device child exited (${code ?? sig}) waiting for ${what}\n${this.stderr}`)); };
      this.proc.once('exit', onExit);
      this.#waiters.push((m) => {
        if (!pred(m)) return false;
        clearTimeout(timer);
        this.proc.off('exit', onExit);
        resolve(m);
        return true;
      });
    });
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  decide(n: number): void {
    this.proc.send({ cmd: 'decide', n });
  }

  /** Publishes these decisions in order (through the child's durable queue). */
  publish(decisions: DecisionInput[]): void {
    this.proc.send({ cmd: 'publish', decisions });
  }

  /** Publishes one event through the child's link. */
  event<K extends DeviceEventType>(type: K, fields: DeviceEventFields[K]): void {
    this.proc.send({ cmd: 'event', type, fields });
  }

  async stats(timeoutMs = 20_000): Promise<ChildStats> {
    const p = this.#next((m) => m.stats !== undefined, timeoutMs, 'stats');
    this.proc.send({ cmd: 'stats' });
    return (await p).stats as ChildStats;
  }

  async waitDecided(n: number, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.decided.length < n) {
      if (Date.now() > end) throw new Error(`child reported ${this.decided.length}/${n} decisions`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async kill(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.send({ cmd: 'close' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
