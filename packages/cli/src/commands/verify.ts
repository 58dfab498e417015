import { checkZkml, createClient, modeVerifierOf, verifyReceipt, type ZkModeCheck, type ZkmlProof } from '@verity/sdk'
import type { InferenceResult, LlmResultJson } from '@verity/protocol'
import { vkHash, type ZkVerifierKey } from '@verity/zk/verify'
import { checkSetupPolicy, type ZkManifest } from '@verity/zk'
import { readJsonFile } from '../files.ts'
import { renderChecks } from '../checks.ts'
import { ExitError } from '../errors.ts'
import { color, out } from '../output.ts'

export type VerifyOptions = {
  signer?: string[]; node?: string; json?: boolean; onchain?: boolean; k?: number; chain?: string; deployment?: string; network?: string; vkHash?: string; trustContributor?: string[]
  /** TEE and LLM results: accept the INSECURE dev TEE provider (local networks). */
  allowDevTee?: boolean
}

/** `verity verify RESULT.json`: offline checks; exit 1 when any fails. */
export async function verify(file: string, options: VerifyOptions): Promise<void> {
  const saved = readJsonFile(file) as { kind?: unknown } | null
  if (saved?.kind === 'verity-llm-result') return (await import('./chat.ts')).verifyLlmFile(file, saved as LlmResultJson, options)
  const network = await import('./network.ts')
  if (options.onchain || options.chain !== undefined || options.network !== undefined) return network.verifyOnNetwork(file, options)
  const result = readJsonFile(file)
  const signers = [...(options.signer ?? []), ...(options.node ? [(await createClient({ url: options.node }).health()).address] : [])]
  const zk = (result as InferenceResult | null)?.receipt?.mode === 'ZKML' ? await zkmlCheck(result as InferenceResult, options) : null
  const verification = zk
    ? verifyReceipt(result, { trustedSigners: signers.length > 0 ? signers : undefined, modeVerifier: modeVerifierOf(zk.check) })
    : network.verifyOffline(result, signers.length > 0 ? signers : undefined, options.k, options.allowDevTee)
  if (options.json) out(JSON.stringify(zk ? { ...verification, zk: zk.check.zkChecks, vk: zk.trust } : verification, null, 2))
  else {
    out(`Checking ${file}`)
    out()
    out(renderChecks(verification.checks))
    if (zk) {
      out()
      out('  ZKML proof checks:')
      for (const c of zk.check.zkChecks) out(`    ${c.ok ? color.green('✔') : color.red('✘')}  [${c.check}] ${c.message}`)
      out(`\n  Verification key: ${zk.trust}`)
    }
    if (verification.ok && signers.length === 0) out('\n  Note: the signer was not pinned; pass --signer ADDRESS to require a specific node.')
    if (!options.allowDevTee && verification.checks.some((c) => !c.ok && c.check === 'mode' && /development provider/.test(c.message))) {
      out('\n  Note: this TEE result comes from the INSECURE dev attester; pass --allow-dev-tee to accept it on a development network.')
    }
  }
  if (!verification.ok) throw new ExitError(1)
}

/**
 * The ZKML check of a saved result. The key: from the model release on --node (its hash checked
 * against the release's vkHash), else the one embedded in the result. Trust in an embedded key comes
 * only from pinning its hash (--vk-hash, or --node): the receipt commits to the proof and the model,
 * not to the key, and a key from a setup someone ran alone could prove anything.
 */
async function zkmlCheck(result: InferenceResult, options: VerifyOptions): Promise<{ check: ZkModeCheck; trust: string }> {
  const proof = result.proof as ZkmlProof | undefined
  let key: ZkVerifierKey | undefined = proof?.verifierKey
  let pinned = options.vkHash
  let trust: string
  if (options.node) {
    const fromRelease = await createClient({ url: options.node }).zkVerifierKey(result.model)
    key = fromRelease.key
    pinned ??= fromRelease.setup.vkHash
    trust = `from the model release ${fromRelease.setup.repo}@${fromRelease.setup.release} on ${options.node}, hash ${fromRelease.setup.vkHash}.`
    if (options.trustContributor && options.trustContributor.length > 0) {
      // Setup policy: the ceremony transcripts in the release's manifest must name a contributor you trust in each phase.
      const client = createClient({ url: options.node })
      const manifestCid = fromRelease.setup.files['zk/manifest.json']
      const manifest = manifestCid ? JSON.parse(new TextDecoder().decode(await client.pull(manifestCid))) as ZkManifest : null
      const policy = manifest && manifest.vkHash === fromRelease.setup.vkHash
        ? checkSetupPolicy(manifest, { trustedContributors: options.trustContributor })
        : { check: 'vk' as const, ok: false, message: 'The release has no ceremony transcript for this key (zk/manifest.json), so the setup policy cannot be checked.' }
      trust += ` Setup policy: ${policy.message}`
      if (!policy.ok) return { check: { check: 'mode', ok: false, message: `Mode ZKML: ${policy.message}`, zkChecks: [policy] }, trust }
    }
  } else if (options.trustContributor?.length) {
    throw new ExitError(2, '--trust-contributor needs --node URL: the ceremony transcripts are read from the model release.')
  } else if (pinned) {
    trust = `pinned to hash ${pinned} (--vk-hash).`
  } else {
    trust = key ? `embedded in the result, hash ${vkHash(key.vk)}; NOT pinned: compare it with the vkHash on the model card, or pass --node URL or --vk-hash HASH.` : 'missing.'
  }
  if (!key) {
    return { check: { check: 'mode', ok: false, message: 'Mode ZKML: the result carries no verification key; pass --node URL to fetch the one of the model release.', zkChecks: [] }, trust }
  }
  return { check: await checkZkml(result, key, pinned), trust }
}
