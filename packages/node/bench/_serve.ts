// Starts a seeded node for the HTTP benchmark and prints its URL; stops on SIGTERM.
import { startNode } from '@verity/node'
const node = await startNode({ dataDir: process.argv[2]!, port: 0, seedSamples: true, logLevel: 'warn' })
process.stdout.write(`URL ${node.url}\n`)
process.once('SIGTERM', () => { void node.close().then(() => process.exit(0)) })
