import { resolveLlmProviders, startNode } from '@verity/node'
import { color, info, out, table, untilSignal } from '../output.ts'

export type UpOptions = { dataDir: string; port: number; host: string; databaseUrl?: string; seed: boolean; workers?: number; tee?: import('@verity/node').NodeTeeSetting; llmProvider?: string[] } & (
  { single?: boolean } & Partial<Omit<import('./network.ts').UpNetworkOptions, 'dataDir' | 'port' | 'host' | 'seed' | 'workers'>>
)

/** `verity up --single`: a local node with the hub, seeded with the sample models; runs until Ctrl-C. */
export async function up(o: UpOptions): Promise<void> {
  // NAME=URL upstreams, checked here so a typo stops `up` before anything starts.
  const llmProviders = resolveLlmProviders(o.llmProvider ?? [])
  if (!o.single) return (await import('./network.ts')).upNetwork({ ...o, nodes: o.nodes ?? 3 })
  info(color.dim(`Starting Verity in ${o.dataDir}…`))
  const node = await startNode({
    dataDir: o.dataDir, port: o.port, host: o.host, databaseUrl: o.databaseUrl, seedSamples: o.seed, workers: o.workers, tee: o.tee, llmProviders,
    // The terminal shows the summary below; node logs stay quiet unless VERITY_LOG_LEVEL asks for more.
    logLevel: process.env.VERITY_LOG_LEVEL ?? 'warn',
    onSeedProgress: (m) => info(color.dim(`  seeding ${m}`)),
  })
  out()
  out(color.bold(color.green('Verity is up.')))
  out(table([
    ['node', node.url],
    ['signer', `${node.address}  (key in ${node.keyPath}, mode 0600)`],
    ['openapi', `${node.url}/openapi.json`],
    ['data', node.dataDir],
    ['database', node.databaseKind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${node.dataDir}/db`],
    ['explorer', `${node.url}/  (receipts re-verified in your browser)`],
    ...(node.attestation ? [['TEE', `${node.attestation.provider}${node.attestation.provider === 'dev' ? ' (INSECURE dev attester: clients need --allow-dev-tee)' : ''}  ${node.url}/v1/attestation`]] : []),
    ...(llmProviders.length > 0 ? [['llm', `${node.url}/v1/chat/completions  (${llmProviders.map((p) => `${p.name}/… → ${p.baseUrl}${p.apiKeyEnv ? ` (key from ${p.apiKeyEnv})` : ''}`).join(', ')})${node.attestation ? '' : '  NO TEE: LLM requests are refused (use --tee)'}`]] : []),
    ...(node.adminKeyPath ? [['memory', `${node.url}/v1/memories  (admin key in ${node.adminKeyPath}, mode 0600)`]] : []),
  ]))
  if (node.models.length > 0) {
    out()
    out(color.bold('Models'))
    out(table(node.models.map((m) => [m.ref, m.cid])))
    const first = node.models.find((m) => m.ref.startsWith('verity/tiny-mlp')) ?? node.models[0]!
    out()
    out(color.bold('Try it'))
    out(`  echo '${JSON.stringify(first.exampleInput)}' > input.json`)
    out(`  npx verity infer --model ${first.ref} --input input.json --out result.json`)
    out('  npx verity verify result.json')
  }
  out()
  out(color.dim('Press Ctrl-C to stop.'))
  await untilSignal('Stopping…', () => node.close())
}
