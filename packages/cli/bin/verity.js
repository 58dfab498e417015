#!/usr/bin/env node
// Launcher for the `verity` command. Verity's sources are TypeScript run directly by Node >= 22.18
// (type stripping). When started by an older Node (e.g. the machine's Node 20), re-run under the
// project's Node 24 from .tools/node, which `bash scripts/setup.sh` installs.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  const projectNode = join(here, '..', '..', '..', '.tools', 'node', 'bin', 'node')
  if (!existsSync(projectNode)) {
    console.error(`verity needs Node >= 22.18 (this is ${process.version}). Run \`bash scripts/setup.sh\` in the Verity checkout to install Node 24.`)
    process.exit(1)
  }
  const result = spawnSync(projectNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(result.status ?? 1)
}
const { main } = await import('../src/main.ts')
await main(process.argv)
