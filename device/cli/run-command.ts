import { isFaceGateError, errorMessage } from '../../sdk/errors.ts';

export interface CommandModule<O> {
  default: (opts: O, args: string[]) => Promise<number | void>;
}

/**
 * Runs one command module and maps failures to exit codes: 1 for a FaceGateError (bad input,
 * missing model...), 2 for usage errors, 3 for anything unexpected. With --json the error is
 * printed as JSON on stdout too, so scripts always get one object.
 */
export async function runCli<O extends { json?: boolean }>(load: () => Promise<CommandModule<O>>, opts: O, args: string[] = []): Promise<void> {
  try {
    const mod = await load();
    const code = await mod.default(opts, args);
    process.exitCode = code ?? 0;
  } catch (e) {
    const code = isFaceGateError(e) ? (e.code === 'FG_CLI_USAGE' ? 2 : 1) : 3;
    const payload = { error: { code: isFaceGateError(e) ? e.code : 'FG_INTERNAL', message: errorMessage(e) } };
    if (opts.json) process.stdout.write(JSON.stringify(payload) + '\n');
    process.stderr.write(`facegate: ${payload.error.message}\n`);
    if (code === 3 && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
    process.exitCode = code;
  }
}
