import { spawn } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FaceGateError } from '../../sdk/errors.ts';

/** What opens the door: for a `grant`, and for a remote open when the config allows it (door.remoteOpen). Pulses are serialised, never overlapping. */
export interface DoorOutput {
  readonly kind: string;
  pulse(info: { identity: string; decisionId: string }): Promise<void>;
  close(): Promise<void>;
}

export class NoDoor implements DoorOutput {
  readonly kind = 'none';
  async pulse(): Promise<void> {}
  async close(): Promise<void> {}
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Relay on a sysfs GPIO line: exported and set as output once, then value 1 for pulseMs. */
export class SysfsGpioDoor implements DoorOutput {
  readonly kind = 'gpio';
  #busy: Promise<void> = Promise.resolve();
  #ready?: Promise<void>;
  constructor(private readonly opts: { line: number; sysfsRoot: string; activeLow: boolean; pulseMs: number }) {}

  get #dir(): string {
    return join(this.opts.sysfsRoot, `gpio${this.opts.line}`);
  }

  async #setup(): Promise<void> {
    const exists = await access(this.#dir).then(() => true, () => false);
    if (!exists) await writeFile(join(this.opts.sysfsRoot, 'export'), String(this.opts.line));
    await writeFile(join(this.#dir, 'direction'), 'out');
    await this.#write(false);
  }

  #write(on: boolean): Promise<void> {
    return writeFile(join(this.#dir, 'value'), on !== this.opts.activeLow ? '1' : '0');
  }

  pulse(_info?: { identity: string; decisionId: string }): Promise<void> {
    this.#ready ??= this.#setup().catch((e) => {
      this.#ready = undefined;
      throw new FaceGateError('FG_CONFIG_INVALID', `door.gpio line ${this.opts.line}: ${(e as Error).message}`, { cause: e });
    });
    const run = this.#busy.then(async () => {
      await this.#ready;
      await this.#write(true);
      try {
        await sleep(this.opts.pulseMs);
      } finally {
        await this.#write(false);
      }
    });
    this.#busy = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.#busy;
    if (this.#ready) await this.#write(false).catch(() => {});
  }
}

/**
 * Runs a site-provided command for each grant (no shell: argv array); it gets the identity and
 * pulse length in its environment. Non-zero exit or a hang past 10 s is an error.
 */
export class CommandDoor implements DoorOutput {
  readonly kind = 'command';
  #busy: Promise<void> = Promise.resolve();
  constructor(private readonly opts: { command: string; args: string[]; pulseMs: number }) {}

  pulse(info: { identity: string; decisionId: string }): Promise<void> {
    const run = this.#busy.then(() => new Promise<void>((resolve, reject) => {
      const child = spawn(this.opts.command, this.opts.args, {
        stdio: 'ignore',
        env: { ...process.env, FACEGATE_IDENTITY: info.identity, FACEGATE_DECISION_ID: info.decisionId, FACEGATE_PULSE_MS: String(this.opts.pulseMs) },
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000 + this.opts.pulseMs);
      child.on('error', (e) => { clearTimeout(timer); reject(new FaceGateError('FG_CONFIG_INVALID', `door.command ${this.opts.command}: ${e.message}`, { cause: e })); });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new FaceGateError('FG_CONFIG_INVALID', `door.command ${this.opts.command} exited with ${signal ?? code}`));
      });
    }));
    this.#busy = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.#busy;
  }
}

export function createDoor(cfg: { type: 'none' } | { type: 'gpio'; line: number; sysfsRoot: string; activeLow: boolean; pulseMs: number } | { type: 'command'; command: string; args: string[]; pulseMs: number }): DoorOutput {
  switch (cfg.type) {
    case 'none': return new NoDoor();
    case 'gpio': return new SysfsGpioDoor(cfg);
    case 'command': return new CommandDoor(cfg);
  }
}
