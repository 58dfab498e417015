import { readJsonFile } from '../files.ts'
import { renderChecks } from '../checks.ts'
import { ExitError } from '../errors.ts'
import { out } from '../output.ts'

export type VerifyOptions = { signer?: string[]; json?: boolean; onchain?: boolean; k?: number; chain?: string; deployment?: string; network?: string }

/** `verity verify RESULT.json`: offline checks; exit 1 when any fails. */
export async function verify(file: string, options: VerifyOptions): Promise<void> {
  const network = await import('./network.ts')
  if (options.onchain || options.chain !== undefined || options.network !== undefined) return network.verifyOnNetwork(file, options)
  const result = readJsonFile(file)
  const verification = network.verifyOffline(result, options.signer, options.k)
  if (options.json) out(JSON.stringify(verification, null, 2))
  else {
    out(`Checking ${file}`)
    out()
    out(renderChecks(verification.checks))
    if (verification.ok && !options.signer) out('\n  Note: the signer was not pinned; pass --signer ADDRESS to require a specific node.')
  }
  if (!verification.ok) throw new ExitError(1)
}
