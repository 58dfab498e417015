// Starts a dev-TEE node with one LLM upstream (argv: dataDir, upstream base URL) for the LLM benchmark; stops on SIGTERM.
import { resolveLlmProviders, startNode } from '@verity/node'
const node = await startNode({
  dataDir: process.argv[2]!, port: 0, seedSamples: false, memory: false, zkWorkers: 0, logLevel: 'warn', tee: 'dev',
  llmProviders: resolveLlmProviders([`local=${process.argv[3]!}`]),
})
process.stdout.write(`URL ${node.url}\n`)
process.once('SIGTERM', () => { void node.close().then(() => process.exit(0)) })
