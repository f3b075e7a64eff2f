/**
 * Starts a real Mosquitto (apt, /usr/sbin/mosquitto) on a free loopback port with its own config
 * and persistence directory, and can SIGKILL and restart it on the same port.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const hasMosquitto = existsSync(MOSQUITTO);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface MosquittoOptions {
  tls?: { cafile: string; certfile: string; keyfile: string; requireCertificate?: boolean };
  /** user -> password; turns anonymous access off. */
  passwords?: Record<string, string>;
  persistence?: boolean;
  /** Seconds between persistence saves (default 1, so a SIGKILL loses at most ~1 s of state). */
  autosaveIntervalS?: number;
  extra?: string[];
}

export class Mosquitto {
  readonly dir: string;
  readonly port: number;
  readonly configPath: string;
  readonly tls: boolean;
  #proc: ChildProcess | undefined;
  #log = '';

  private constructor(dir: string, port: number, configPath: string, tls: boolean) {
    this.dir = dir;
    this.port = port;
    this.configPath = configPath;
    this.tls = tls;
  }

  static async start(opts: MosquittoOptions = {}): Promise<Mosquitto> {
    const dir = await mkdtemp(join(tmpdir(), 'fg-mosquitto-'));
    const port = await freePort();
    const lines = [
      'user root', // the tests run as root; without this mosquitto drops to user "mosquitto"
      `listener ${port} 127.0.0.1`,
      `persistence ${opts.persistence === false ? 'false' : 'true'}`,
      `persistence_location ${dir}/`,
      `autosave_interval ${opts.autosaveIntervalS ?? 1}`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'max_queued_messages 100000',
      'set_tcp_nodelay true',
    ];
    if (opts.passwords) {
      const pw = join(dir, 'passwords');
      await writeFile(pw, '');
      for (const [u, p] of Object.entries(opts.passwords)) execFileSync('mosquitto_passwd', ['-b', pw, u, p]);
      lines.push('allow_anonymous false', `password_file ${pw}`);
    } else {
      lines.push('allow_anonymous true');
    }
    if (opts.tls) {
      lines.push(`cafile ${opts.tls.cafile}`, `certfile ${opts.tls.certfile}`, `keyfile ${opts.tls.keyfile}`,
        `require_certificate ${opts.tls.requireCertificate ? 'true' : 'false'}`);
    }
    lines.push(...(opts.extra ?? []));
    const configPath = join(dir, 'mosquitto.conf');
    await writeFile(configPath, lines.join('\n') + '\n');
    const m = new Mosquitto(dir, port, configPath, !!opts.tls);
    await m.restart();
    return m;
  }

  get url(): string {
    return `${this.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#proc !== undefined && this.#proc.exitCode === null && this.#proc.signalCode === null;
  }

  get log(): string {
    return this.#log;
  }

  /** Starts mosquitto (again) and waits until the port accepts connections. */
  async restart(): Promise<void> {
    if (this.running) throw new Error('mosquitto is already running');
    const p = spawn(MOSQUITTO, ['-c', this.configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr!.on('data', (d: Buffer) => { this.#log = (this.#log + d.toString()).slice(-20_000); });
    this.#proc = p;
    const end = Date.now() + 10_000;
    for (;;) {
      if (p.exitCode !== null) throw new Error(`mosquitto exited with ${p.exitCode}: ${this.#log}`);
      if (await canConnect(this.port)) return;
      if (Date.now() > end) throw new Error(`mosquitto did not listen on ${this.port}: ${this.#log}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async #signal(sig: NodeJS.Signals): Promise<void> {
    const p = this.#proc;
    if (!p || !this.running) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(sig);
    await exited;
  }

  /** SIGKILL: no clean shutdown, no final persistence save. */
  kill(): Promise<void> {
    return this.#signal('SIGKILL');
  }

  /** SIGTERM: mosquitto saves its persistence file and exits. */
  stop(): Promise<void> {
    return this.#signal('SIGTERM');
  }

  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}
