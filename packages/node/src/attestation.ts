/**
 * The node's TEE attestation: at startup (config `tee`) the node asks its TEE for evidence whose
 * report data binds the node's signing key (bindingFor), and keeps it fresh.
 *
 *   tee: 'none'          no TEE: GET /v1/attestation answers 404 TEE_NOT_CONFIGURED, mode tee is refused
 *   tee: 'dev'           the INSECURE dev provider (local networks only; verifiers refuse it unless allowed)
 *   tee: 'auto'          the first hardware TEE this machine offers (configfs-tsm TDX/SEV-SNP, Nitro with
 *                        a helper); none found → runs without TEE and says so in the log. Never picks dev.
 *   tee: 'nitro'         AWS Nitro through the NSM helper binary (teeNitroHelper)
 *   tee: 'configfs-tsm'  TDX or SEV-SNP through Linux configfs-tsm
 *   tee: 'sev-guest'     SEV-SNP through configfs-tsm, refusing to start when /dev/sev-guest is absent
 *
 * Freshness: Nitro and dev documents carry a timestamp and verifiers reject them past a maximum age
 * (600 s by default). The node re-attests every `refreshMs` (default 300 s: half that window) and
 * whenever the evidence it is about to hand out is older than `refreshMs` (after a suspended
 * machine, a stalled timer). Each refresh changes the digest, so receipts signed after it carry the
 * new proofHash; the attestation verifier records each new digest on chain when it re-checks.
 */
import { existsSync } from 'node:fs'
import {
  DEV_NODE_MEASUREMENT, DEV_NODE_MEASUREMENT_HASH, attestNode, attestationDigest, configfsTsmProvider, createDevAttester, detectTeeProviders, nitroProvider, normalizeEvidence, verifyAttestation,
  type AttestationEvidence, type TeeProvider, type TeeProviderName, type VerifiedAttestation,
} from '@verity/tee'
import type { FastifyInstance } from 'fastify'
import { generatePrivateKey, privateKeyToAddress, VerityError, type Address, type Hex } from '@verity/protocol'
import { routes } from './schemas.ts'

export const nodeTeeSettings = ['none', 'dev', 'auto', 'nitro', 'configfs-tsm', 'sev-guest'] as const
export type NodeTeeSetting = (typeof nodeTeeSettings)[number]

export type NodeAttestation = {
  provider: TeeProviderName
  /** Canonical form (normalizeEvidence). */
  evidence: AttestationEvidence
  /** attestationDigest(evidence): the proofHash of this node's TEE receipts. */
  digest: Hex
  /** bytes32 measurementHashOf(kind, measurement), as registered on chain. */
  measurement: Hex
}

/** The measurement dev-provider nodes report, and its hash a dev-TEE network allow-lists (see @verity/tee). */
export const DEV_TEE_MEASUREMENT: Hex = DEV_NODE_MEASUREMENT
export const DEV_TEE_MEASUREMENT_HASH: Hex = DEV_NODE_MEASUREMENT_HASH

/** Checks a `tee` setting from a config file, flag or environment variable; `where` names its source in the error. */
export function parseTeeSetting(value: unknown, where = 'tee'): NodeTeeSetting {
  if (typeof value === 'string' && (nodeTeeSettings as readonly string[]).includes(value)) return value as NodeTeeSetting
  throw new VerityError('BAD_REQUEST', `${where}: unknown TEE provider ${JSON.stringify(value)}; expected one of ${nodeTeeSettings.join(', ')}`, {
    details: { value, expected: nodeTeeSettings },
    hint: "Use 'none' (the default) without TEE hardware, 'dev' on local networks, or the provider of your TEE ('auto' picks it).",
  })
}

export type NodeAttestor = {
  readonly provider: TeeProviderName
  /** The current attestation, re-attesting first when it is older than the refresh interval. */
  current(): Promise<NodeAttestation>
  /** Re-attests now (on demand) and returns the new attestation. */
  refresh(): Promise<NodeAttestation>
  close(): void
}

export type StartNodeAttestationParameters = {
  setting: NodeTeeSetting
  /** The node's receipt-signing address: what the report data binds. */
  address: Address
  /** Re-attest this often (ms); default 300 000. */
  refreshMs?: number | undefined
  /** argv of the NSM helper (tee 'nitro' or 'auto' on Nitro). */
  nitroHelper?: readonly string[] | undefined
  /** Dev provider only: the measurement to report (0x-hex); default DEV_TEE_MEASUREMENT. */
  devMeasurement?: Hex | undefined
  /**
   * Test-only (fault `tee-wrong-key`): bind this address instead of the node's, to prove verifiers
   * record such a node invalid.
   */
  bindAddress?: Address | undefined
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void } | undefined
  now?: () => number
}

function providerFor(p: StartNodeAttestationParameters): TeeProvider | null {
  switch (p.setting) {
    case 'none': return null
    case 'dev': {
      // devProvider with the node's clock (tests move it to exercise freshness).
      const attester = createDevAttester({ measurement: p.devMeasurement ?? DEV_TEE_MEASUREMENT })
      return { name: 'dev', insecure: true, attest: async (reportData) => attester.attest(reportData, (p.now ?? Date.now)()) }
    }
    case 'nitro': return nitroProvider({ helper: p.nitroHelper })
    case 'configfs-tsm': return configfsTsmProvider()
    case 'sev-guest':
      if (!existsSync('/dev/sev-guest')) throw new VerityError('ATTESTATION_UNAVAILABLE', "tee 'sev-guest': /dev/sev-guest does not exist, so this is not an SEV-SNP guest", { details: { tee: p.setting } })
      return configfsTsmProvider()
    case 'auto': {
      const found = detectTeeProviders().filter((d) => d.available && d.name !== 'dev')
      if (found.some((d) => d.name === 'tdx' || d.name === 'sev-snp')) return configfsTsmProvider()
      if (existsSync('/dev/nsm') && p.nitroHelper !== undefined && p.nitroHelper.length > 0) return nitroProvider({ helper: p.nitroHelper })
      p.log?.warn({ tee: 'auto', detected: detectTeeProviders().filter((d) => d.name !== 'dev').map((d) => `${d.name}: ${d.reason}`) }, 'no TEE found: serving without attestation')
      return null
    }
  }
}

/**
 * Obtains the node's first attestation and keeps it fresh; null for `tee: 'none'` (or 'auto' without
 * hardware). @throws VerityError ATTESTATION_UNAVAILABLE when the configured TEE cannot attest.
 */
export async function startNodeAttestation(p: StartNodeAttestationParameters): Promise<NodeAttestor | null> {
  const provider = providerFor(p)
  if (provider === null) return null
  const now = p.now ?? Date.now
  const refreshMs = p.refreshMs ?? 300_000
  if (!Number.isFinite(refreshMs) || refreshMs < 1000) {
    throw new VerityError('BAD_REQUEST', `teeRefreshSeconds must be at least 1, got ${refreshMs / 1000}`, { details: { teeRefreshSeconds: refreshMs / 1000 } })
  }
  const attestOnce = async (): Promise<NodeAttestation & { at: number }> => {
    const at = now()
    let evidence: AttestationEvidence
    try {
      evidence = normalizeEvidence(await attestNode(provider, p.bindAddress ?? p.address))
    } catch (cause) {
      if (cause instanceof VerityError) throw cause
      throw new VerityError('ATTESTATION_UNAVAILABLE', `tee '${p.setting}' (${provider.name}) could not attest: ${(cause as Error).message}`, { cause, details: { tee: p.setting } })
    }
    // Read our own evidence as a verifier would, for its measurement; failing checks are logged, not
    // hidden: the verifiers decide, but an operator should see the problem first.
    const self: VerifiedAttestation = verifyAttestation(evidence, { now: at, policy: { allowInsecureDev: provider.insecure } })
    if (!self.ok) p.log?.warn({ tee: p.setting, failed: self.checks.filter((c) => !c.ok).map((c) => c.message) }, 'this node\'s own attestation does not verify')
    return { provider: provider.name, evidence, digest: attestationDigest(evidence), measurement: self.measurementHash, at }
  }
  let latest = await attestOnce()
  let pending: Promise<NodeAttestation & { at: number }> | null = null
  const refresh = async () => {
    pending ??= attestOnce().then((a) => { latest = a; return a }).finally(() => { pending = null })
    return pending
  }
  const timer = setInterval(() => void refresh().catch((error: unknown) => p.log?.warn({ err: error }, 'TEE re-attestation failed; keeping the previous evidence')), refreshMs)
  timer.unref()
  const strip = ({ at: _at, ...a }: NodeAttestation & { at: number }): NodeAttestation => a
  p.log?.info({ tee: p.setting, provider: provider.name, measurement: latest.measurement, insecure: provider.insecure }, 'TEE attestation ready')
  return {
    provider: provider.name,
    async current() {
      if (now() - latest.at < refreshMs) return strip(latest)
      try {
        return strip(await refresh())
      } catch (error) {
        // Keep serving the previous evidence: verifiers judge its age under their own policy.
        p.log?.warn({ err: error }, 'TEE re-attestation failed; handing out the previous evidence')
        return strip(latest)
      }
    },
    async refresh() {
      return strip(await refresh())
    },
    close() {
      clearInterval(timer)
    },
  }
}

/** A random address (fault `tee-wrong-key`). */
export function unrelatedAddress(): Address {
  return privateKeyToAddress(generatePrivateKey())
}

export type AttestationResponse = { node: Address; provider: TeeProviderName; measurement: Hex; digest: Hex; evidence: AttestationEvidence }

/** GET /v1/attestation: the node's current evidence (404 TEE_NOT_CONFIGURED without a TEE). */
export function registerAttestationRoutes(app: FastifyInstance, p: { address: Address; attestor: () => NodeAttestor | null }): void {
  app.get('/v1/attestation', { schema: routes.attestation }, async (): Promise<AttestationResponse> => {
    const attestor = p.attestor()
    if (attestor === null) {
      throw new VerityError('TEE_NOT_CONFIGURED', `Node ${p.address} runs without a TEE (config tee: none), so it has no attestation to show.`, { details: { node: p.address } })
    }
    const a = await attestor.current()
    return { node: p.address, provider: a.provider, measurement: a.measurement, digest: a.digest, evidence: a.evidence }
  })
}
