/**
 * Every `verity` command is declared here, with its description, options and examples. Each command's
 * work lives in src/commands/*.ts, loaded only when that command runs.
 */
import { Command, Option } from 'commander'
import { handleError } from './errors.ts'

const nodeOption = () => new Option('--node <url>', 'node URL').env('VERITY_NODE').default('http://127.0.0.1:8420')
const chainOption = () => new Option('--chain <url>', 'chain JSON-RPC URL (with --deployment); default: the network in ./.verity/network.json').env('VERITY_CHAIN')
const deploymentOption = () => new Option('--deployment <file>', 'deployment JSON with the contract addresses')
const networkOption = () => new Option('--network <file>', 'network file written by `verity up`').env('VERITY_NETWORK')
const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`

export function buildProgram(): Command {
  const program = new Command('verity')
    .description('Verity: verifiable AI inference. Every result comes with a signed receipt that this tool checks.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })

  program
    .command('up')
    .description('Start a local Verity network: an anvil chain with the contracts and 3 staked nodes (separate processes), seeded with sample models')
    .option('--data-dir <dir>', 'where keys, models, database and receipts live', '.verity')
    .option('--port <port>', 'HTTP port', (v) => Number(v), 8420)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .addOption(new Option('--database-url <url>', 'PostgreSQL instead of the embedded database').env('DATABASE_URL'))
    .option('--no-seed', 'do not load the sample models')
    .option('--workers <n>', 'inference worker threads per node (default: one per core with --single, else 1)', (v) => Number(v))
    .option('--single', 'run one in-process node without a chain (no staking, settlement or quorum)')
    .option('--nodes <n>', 'how many node processes (ports --port, --port+1, …)', (v) => Number(v), 3)
    .addOption(new Option('--chain <url>', 'join this chain (JSON-RPC URL) instead of starting anvil').env('VERITY_CHAIN'))
    .addOption(deploymentOption())
    .option('--settle-interval <ms>', 'how often nodes post their receipts\' Merkle root on chain', (v) => Number(v), 60_000)
    .option('--samples <repos>', 'comma-separated sample repositories to seed (default: all)')
    .addOption(new Option('--funder-key-file <file>', 'with --chain: a funded key (0x-hex) that deploys and funds the nodes (default: anvil\'s dev account)').env('VERITY_FUNDER_KEY_FILE'))
    .addHelpText('after', examples('verity up', 'verity up --data-dir /tmp/verity --port 9000 --nodes 5', 'verity up --chain http://127.0.0.1:8545 --deployment deployment.json', 'verity up --single'))
    .action(async (o) => (await import('./commands/up.ts')).up(o))

  const model = program.command('model').description('Publish, find and fetch models in the hub')
  model
    .command('create <repo>')
    .description('Create a model repository owner/name')
    .option('--description <markdown>', 'model card text (markdown)')
    .option('--description-file <file>', 'read the model card text from a file')
    .option('--task <task>', 'e.g. image-classification')
    .option('--license <license>', 'SPDX license id', 'unknown')
    .option('--tags <tags>', 'comma-separated tags')
    .option('--private', 'hide from search')
    .option('--json', 'print JSON')
    .addOption(nodeOption())
    .addHelpText('after', examples('verity model create acme/digits --task image-classification --license MIT --tags mnist,mlp'))
    .action(async (repo, o) => (await import('./commands/model.ts')).create(repo, o))
  model
    .command('release <repo> <release>')
    .description('Create release MAJOR.MINOR (e.g. 1.00) as a draft, or publish it with --publish (published releases never change)')
    .option('--publish', 'publish the release (it becomes immutable)')
    .option('--notes <text>', 'release notes')
    .option('--json', 'print JSON')
    .addOption(nodeOption())
    .addHelpText('after', examples('verity model release acme/digits 1.00', 'verity model release acme/digits 1.00 --publish'))
    .action(async (repo, release, o) => (await import('./commands/model.ts')).release(repo, release, o))
  model
    .command('push <file>')
    .description('Upload a model file into a release and print its CID')
    .requiredOption('--repo <repo>', 'owner/name (created if missing)')
    .option('--release <release>', 'release MAJOR.MINOR (default: the open draft, or the next one)')
    .option('--path <path>', 'file name inside the release (default: the file name)')
    .option('--publish', 'publish the release after the upload')
    .option('--json', 'print a JSON object with `cid`')
    .addOption(nodeOption())
    .addHelpText('after', examples('verity model push model.onnx --repo acme/digits --release 1.00', 'verity model push model.onnx --repo acme/digits --json | jq -r .cid'))
    .action(async (file, o) => (await import('./commands/model.ts')).push(file, o))
  model
    .command('pull <model>')
    .description('Download a model by CID or owner/name@release; the bytes are checked against the CID')
    .option('-o, --output <file>', 'where to write it (default: the CID + .onnx)')
    .addOption(nodeOption())
    .addHelpText('after', examples('verity model pull verity/tiny-mlp@1.00', 'verity model pull bafkrei... -o model.onnx'))
    .action(async (ref, o) => (await import('./commands/model.ts')).pull(ref, o))
  model
    .command('ls [owner]')
    .description('List repositories (optionally of one owner)')
    .option('--limit <n>', 'how many', (v) => Number(v), 50)
    .option('--json', 'print JSON')
    .addOption(nodeOption())
    .addHelpText('after', examples('verity model ls', 'verity model ls paddleocr'))
    .action(async (owner, o) => (await import('./commands/model.ts')).ls(owner, o))
  model
    .command('search [query...]')
    .description('Search models by text, task, tags and owner')
    .option('--task <task>', 'filter by task')
    .option('--tags <tags>', 'comma-separated tags (all must match)')
    .option('--owner <owner>', 'filter by owner')
    .option('--sort <order>', 'relevance | name | updated | downloads')
    .option('--limit <n>', 'page size', (v) => Number(v), 20)
    .option('--cursor <cursor>', 'next page (printed by the previous page)')
    .option('--json', 'print JSON')
    .addOption(nodeOption())
    .addHelpText('after', examples('verity model search ocr', 'verity model search --task image-classification --tags mnist'))
    .action(async (query, o) => (await import('./commands/model.ts')).search(query.join(' '), o))
  model
    .command('info <repo>')
    .description('Show a model card: description, releases, files with CIDs, input/output schema')
    .option('--json', 'print JSON')
    .addOption(nodeOption())
    .addHelpText('after', examples('verity model info paddleocr/text-direction-classifier'))
    .action(async (repo, o) => (await import('./commands/model.ts')).info(repo, o))

  program
    .command('infer')
    .description('Run a model on a node and verify the signed result before printing it')
    .requiredOption('--model <model>', 'CID, owner/name or owner/name@release')
    .requiredOption('--input <file>', 'JSON input: {"name": {"dtype","shape","data"}} or {"name": nested arrays}; - for stdin')
    .addOption(new Option('--mode <mode>', 'proof mode').choices(['vanilla', 'zkml', 'tee', 'quorum']).default('vanilla'))
    .option('--out <file>', 'save the result (output + receipt) for `verity verify`')
    .option('--timeout <ms>', 'give up after this long', (v) => Number(v), 60_000)
    .option('--k <n>', 'quorum mode: how many independent nodes must sign the same output', (v) => Number(v), 3)
    .option('--json', 'print the whole result as JSON')
    .addOption(nodeOption())
    .addOption(chainOption())
    .addOption(deploymentOption())
    .addOption(networkOption())
    .addHelpText('after', examples('verity infer --model verity/tiny-mlp@1.00 --input input.json', 'verity infer --model bafkrei... --input input.json --out result.json', 'verity infer --model verity/tiny-mlp@1.00 --input input.json --mode quorum --k 3 --out result.json'))
    .action(async (o) => (await import('./commands/infer.ts')).infer(o))

  program
    .command('verify <result>')
    .description('Check a saved result offline: exit 0 when every check passes, 1 when any fails')
    .option('--signer <address...>', 'only accept receipts signed by these node addresses')
    .option('--node <url>', "also require the signer to be this node (its address from /v1/health)")
    .option('--onchain', 'also check the registry and that every receipt is in a settled batch root on chain')
    .option('--k <n>', 'quorum results: require at least k agreeing nodes', (v) => Number(v))
    .option('--vk-hash <hash>', 'ZKML results: accept only this verification key hash (the vkHash of the model release)')
    .option('--trust-contributor <name...>', 'ZKML results (with --node): the setup\'s ceremony must include one of these contributors in each phase')
    .option('--json', 'print the checks as JSON')
    .addOption(chainOption())
    .addOption(deploymentOption())
    .addOption(networkOption())
    .addHelpText('after', examples('verity verify result.json', 'verity verify result.json --signer 0x1234...', 'verity verify result.json --node http://127.0.0.1:8420', 'verity verify --onchain result.json'))
    .action(async (file, o) => (await import('./commands/verify.ts')).verify(file, o))

  const zk = program.command('zk').description('ZKML: compile a model to a circuit, run its Groth16 setup, export its Solidity verifier')
  const contributorOption = () => new Option('--contributor <name...>', 'ceremony contributors (each adds randomness; default: your user name). A proving node must never be the only one.')
  zk
    .command('compile <model>')
    .description('Compile a model (owner/name@release, a draft) to a ZK circuit, run the setup (phase 1 cached, phase 2 per model) and store it with the release (zk/*); prints per-layer scales and agreement with onnxruntime')
    .option('--calibration <file>', 'JSON array of sample inputs (flat/nested arrays or {"input": tensor} objects) to calibrate scales and measure agreement')
    .option('--power <n>', 'run the phase-1 ceremony at least at this power of two (default: what the circuit needs)', (v) => Number(v))
    .addOption(contributorOption())
    .option('--beacon <hex>', 'public random beacon (32 bytes hex) applied after the contributions (default: random)')
    .option('--ceremony-dir <dir>', 'where phase-1 ceremonies are cached (default: VERITY_ZK_DATA or ~/.verity/zk)')
    .addOption(new Option('--outputs <kind>', 'public: every output is a public signal; hashed: one Poseidon hash').choices(['public', 'hashed']).default('public'))
    .option('--json', 'print the stored setup as JSON')
    .addOption(nodeOption())
    .addHelpText('after', examples('verity zk compile acme/digits@1.00 --calibration samples.json', 'verity zk compile acme/digits@1.00 --contributor alice --contributor bob --beacon 5a6b…'))
    .action(async (ref, o) => (await import('./commands/zk.ts')).compile(ref, o))
  zk
    .command('ceremony')
    .description('Run a phase-1 powers-of-tau ceremony (contributions + beacon, verified) and cache it for `verity zk compile`')
    .requiredOption('--power <n>', 'log2 of the largest circuit it serves (constraints + public signals)', (v) => Number(v))
    .addOption(contributorOption())
    .option('--beacon <hex>', 'public random beacon (32 bytes hex)')
    .option('--ceremony-dir <dir>', 'cache directory (default: VERITY_ZK_DATA or ~/.verity/zk)')
    .option('--json', 'print the transcript as JSON')
    .addHelpText('after', examples('verity zk ceremony --power 14 --contributor alice --contributor bob'))
    .action(async (o) => (await import('./commands/zk.ts')).ceremony(o))
  zk
    .command('export-verifier <model>')
    .description("Write the Solidity Groth16 verifier of a model's ZKML setup (CID or owner/name@release)")
    .option('-o, --output <file>', 'output file (default: stdout)')
    .addOption(nodeOption())
    .addHelpText('after', examples('verity zk export-verifier acme/digits@1.00 -o Verifier.sol'))
    .action(async (ref, o) => (await import('./commands/zk.ts')).exportVerifier(ref, o))

  program
    .command('dispute <file>')
    .description('Slash the nodes a saved quorum disagreement proves wrong (outvoted, or two outputs for one request)')
    .option('--key-file <file>', 'funded key (0x-hex) that sends the dispute; default: the local network\'s challenger key')
    .option('--json', 'print JSON')
    .addOption(chainOption())
    .addOption(deploymentOption())
    .addOption(networkOption())
    .addHelpText('after', examples('verity infer --mode quorum --k 3 --model verity/tiny-mlp@1.00 --input input.json --out result.json', 'verity dispute result.json'))
    .action(async (file, o) => (await import('./commands/network.ts')).dispute(file, o))

  return program
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv)
  } catch (error) {
    process.exitCode = handleError(error)
  } finally {
    // Groth16 verification (snarkjs) leaves ffjavascript's worker threads running; stop them so the CLI exits.
    await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate()
  }
}
