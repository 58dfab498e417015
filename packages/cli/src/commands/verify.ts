import { createClient } from '@verity/sdk'
import { readJsonFile } from '../files.ts'
import { renderChecks } from '../checks.ts'
import { ExitError } from '../errors.ts'
import { out } from '../output.ts'

export type VerifyOptions = { signer?: string[]; node?: string; json?: boolean; onchain?: boolean; k?: number; chain?: string; deployment?: string; network?: string }

/** `verity verify RESULT.json`: offline checks; exit 1 when any fails. */
export async function verify(file: string, options: VerifyOptions): Promise<void> {
  const network = await import('./network.ts')
  if (options.onchain || options.chain !== undefined || options.network !== undefined) return network.verifyOnNetwork(file, options)
  const result = readJsonFile(file)
  const signers = [...(options.signer ?? []), ...(options.node ? [(await createClient({ url: options.node }).health()).address] : [])]
  const verification = network.verifyOffline(result, signers.length > 0 ? signers : undefined, options.k)
  if (options.json) out(JSON.stringify(verification, null, 2))
  else {
    out(`Checking ${file}`)
    out()
    out(renderChecks(verification.checks))
    if (verification.ok && signers.length === 0) out('\n  Note: the signer was not pinned; pass --signer ADDRESS to require a specific node.')
  }
  if (!verification.ok) throw new ExitError(1)
}
