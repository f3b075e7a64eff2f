/**
 * `facegate console passwd|token`: the console's admin password (scrypt) and API tokens, in the
 * credentials file the device config names (default: beside the gallery directory). The password
 * is read from stdin (one line) or generated with --generate; it is never taken as an argument
 * (it would sit in the shell history and `ps`).
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../config/load-config.ts';
import { Credentials, defaultCredentialsPath, SCOPES, type Scope } from '../../console/credentials.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

interface Opts { config: string; user?: string; generate?: boolean; name?: string; scope?: string; id?: string; json?: boolean }

async function open(config: string): Promise<Credentials> {
  const cfg = await loadConfig(config);
  return Credentials.open(cfg.console.credentials ?? defaultCredentialsPath(cfg.gallery.db));
}

async function stdinLine(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('new admin password (input is shown; or pipe it in): ');
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0];
}

export default async function consoleCommand(opts: Opts, args: string[]): Promise<number> {
  const [what, sub] = args;
  const out = (json: unknown, text: string) => process.stdout.write(opts.json ? JSON.stringify(json) + '\n' : text + '\n');
  const creds = await open(opts.config);
  if (what === 'passwd') {
    const password = opts.generate ? randomBytes(12).toString('base64url') : await stdinLine();
    await creds.setAdminPassword(password, opts.user ?? 'admin');
    out({ ok: true, user: opts.user ?? 'admin', credentials: creds.path, ...(opts.generate ? { password } : {}) },
      `admin password set for '${opts.user ?? 'admin'}' in ${creds.path}${opts.generate ? `\npassword: ${password}` : ''}`);
    return 0;
  }
  if (what === 'token' && sub === 'create') {
    if (!opts.name) throw new FaceGateError('FG_CLI_USAGE', 'token create needs --name');
    if (!SCOPES.includes(opts.scope as Scope)) throw new FaceGateError('FG_CLI_USAGE', `--scope must be one of ${SCOPES.join(', ')}`);
    const { token, record } = await creds.createToken(opts.name, opts.scope as Scope);
    out({ token, id: record.id, name: record.name, scope: record.scope }, `token ${record.id} (${record.scope}): ${token}\nit is shown once; only its hash is stored`);
    return 0;
  }
  if (what === 'token' && sub === 'list') {
    const tokens = creds.tokens();
    out({ tokens }, tokens.map((t) => `${t.id}  ${t.scope.padEnd(5)}  ${t.name}${t.revoked ? `  revoked ${t.revoked}` : ''}`).join('\n') || 'no tokens');
    return 0;
  }
  if (what === 'token' && sub === 'revoke') {
    if (!opts.id) throw new FaceGateError('FG_CLI_USAGE', 'token revoke needs --id');
    const t = await creds.revokeToken(opts.id);
    out({ id: t.id, revoked: t.revoked }, `token ${t.id} revoked`);
    return 0;
  }
  throw new FaceGateError('FG_CLI_USAGE', 'usage: facegate console passwd | token create --name n --scope read|enrol|admin | token list | token revoke --id <id>');
}
