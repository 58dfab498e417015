/**
 * The attestation verifier: the off-chain service holding NodeRegistry's VERIFIER_ROLE. It watches
 * registrations (NodeRegistered events) and re-checks every TEE node on an interval: fetches
 * GET {endpoint}/v1/attestation, verifies the evidence with @verity/tee under its policy, checks that
 * the report data binds the registered signer and that the measurement is the registered one, and
 * posts recordAttestation(signer, measurement, reportHash = attestationDigest(evidence), valid).
 *
 * Why off chain: the evidence is checked against vendor certificate chains (P-384 ECDSA for Nitro and
 * SEV-SNP, X.509 and CRLs, Intel collateral), which the EVM has no precompile for; verifying that in
 * Solidity costs millions of gas per report. The chain keeps what everyone needs to agree on: which
 * measurements governance allows, and the verifier's signed verdicts, auditable by anyone who re-runs
 * the same check on the same evidence (its digest is recorded). See docs/TEE.md.
 *
 * A node that cannot be reached keeps its previous record (a network blip proves nothing); a node
 * that answers with evidence that fails any check is recorded invalid.
 */
import {
  createVerityClient, getAttestation, getMeasurementStatus, getNode, listNodes, recordAttestation,
  type NodeInfo, type VerityDeployment,
} from '@verity/chain'
import { NodeRegistry } from '@verity/contracts'
import { sameAddress, type Address, type Hex } from '@verity/protocol'
import { attestationDigest, checkBinding, verifyAttestation, type AttestationEvidence, type VerifyPolicy } from '@verity/tee'

export type AttestationVerifierOptions = {
  rpcUrl: string
  deployment: VerityDeployment
  /** 0x private key of an account holding VERIFIER_ROLE. */
  verifierKey: Hex
  /** Accept the INSECURE dev provider (local networks started with `--tee dev` only). Default false. */
  allowDevTee?: boolean | undefined
  /** Further attestation policy (maximum age, TCB statuses, debug...). */
  policy?: VerifyPolicy | undefined
  /** Re-check every TEE node this often; default 60 s. */
  intervalMs?: number | undefined
  /** Per-node fetch timeout; default 10 s. */
  timeoutMs?: number | undefined
  fetch?: typeof globalThis.fetch | undefined
  log?: ((message: string) => void) | undefined
}

export type AttestationVerdict = {
  signer: Address
  endpoint: string
  /** The registered measurement hash. */
  measurement: Hex
  /** 'recorded': posted now; 'unchanged': the chain already holds this verdict; 'skipped': nothing posted (see reasons). */
  outcome: 'recorded' | 'unchanged' | 'skipped'
  valid: boolean
  /** The digest of the evidence judged (zero hash when the node showed none). */
  reportHash: Hex
  /** Plain words: every failed check, or why the node was skipped. */
  reasons: string[]
  tx?: Hex | undefined
}

export type AttestationVerifier = {
  readonly address: Address
  /** Checks one node now. */
  checkNode(signer: Address): Promise<AttestationVerdict>
  /** Checks every registered TEE node now. */
  checkAll(): Promise<AttestationVerdict[]>
  close(): void
}

const ZERO: Hex = `0x${'0'.repeat(64)}`

export function startAttestationVerifier(o: AttestationVerifierOptions): AttestationVerifier {
  const chain = createVerityClient({ rpcUrl: o.rpcUrl, deployment: o.deployment, account: o.verifierKey })
  const fetchImpl = o.fetch ?? globalThis.fetch.bind(globalThis)
  const log = o.log ?? (() => undefined)
  const policy: VerifyPolicy = { ...o.policy, allowInsecureDev: o.allowDevTee === true }
  let tail: Promise<unknown> = Promise.resolve()
  // One check at a time: the verifier key's transactions must not race for a nonce.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn)
    tail = next.catch(() => undefined)
    return next
  }

  async function judge(node: NodeInfo): Promise<{ valid: boolean; reportHash: Hex; reasons: string[] } | { skip: string }> {
    let response: Response
    try {
      response = await fetchImpl(new URL('/v1/attestation', node.endpoint), { signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) })
    } catch (error) {
      return { skip: `unreachable at ${node.endpoint}: ${(error as Error).message}` }
    }
    if (response.status >= 500) return { skip: `${node.endpoint}/v1/attestation answered ${response.status}` }
    let body: { node?: string; digest?: string; evidence?: AttestationEvidence; error?: { code?: string; message?: string } }
    try {
      body = await response.json() as typeof body
    } catch {
      return { valid: false, reportHash: ZERO, reasons: [`${node.endpoint}/v1/attestation did not answer JSON (status ${response.status})`] }
    }
    if (!response.ok || body.evidence === undefined) {
      return { valid: false, reportHash: ZERO, reasons: [`the node registered TEE measurement ${node.measurement.slice(0, 18)}… but shows no attestation: ${body.error?.code ?? response.status} ${body.error?.message ?? ''}`.trim()] }
    }
    let reportHash: Hex
    try {
      reportHash = attestationDigest(body.evidence)
    } catch (error) {
      return { valid: false, reportHash: ZERO, reasons: [`the evidence cannot be read: ${(error as Error).message}`] }
    }
    const reasons: string[] = []
    if (body.node !== undefined && !sameAddress(body.node, node.signer)) reasons.push(`the endpoint speaks for node ${body.node}, not the registered signer ${node.signer}`)
    try {
      const verified = verifyAttestation(body.evidence, { now: Date.now(), policy })
      reasons.push(...verified.checks.filter((c) => !c.ok).map((c) => c.message))
      // The binding on its own (the checks above already report an evidence that does not verify).
      const binding = checkBinding({ ...verified, ok: true }, node.signer)
      if (!binding.ok) reasons.push(binding.message)
      if (verified.measurementHash !== node.measurement) {
        reasons.push(`the attested measurement hash ${verified.measurementHash.slice(0, 18)}… is not the registered ${node.measurement.slice(0, 18)}…`)
      }
    } catch (error) {
      reasons.push(`the evidence does not verify: ${(error as Error).message}`)
    }
    return { valid: reasons.length === 0, reportHash, reasons }
  }

  async function check(node: NodeInfo): Promise<AttestationVerdict> {
    const base = { signer: node.signer, endpoint: node.endpoint, measurement: node.measurement }
    if (node.measurement === ZERO) return { ...base, outcome: 'skipped', valid: false, reportHash: ZERO, reasons: ['registered without a TEE measurement'] }
    if (node.leftAt !== 0 || node.slashedAt !== 0) return { ...base, outcome: 'skipped', valid: false, reportHash: ZERO, reasons: ['the node left or was slashed'] }
    const status = await getMeasurementStatus(chain, { measurement: node.measurement })
    if (!status.allowed) return { ...base, outcome: 'skipped', valid: false, reportHash: ZERO, reasons: [`measurement ${node.measurement.slice(0, 18)}… is ${status.revokedAt ? 'revoked' : 'not allowed'}`] }
    const verdict = await judge(node)
    if ('skip' in verdict) {
      log(`attestation of ${node.signer} not checked: ${verdict.skip}`)
      return { ...base, outcome: 'skipped', valid: false, reportHash: ZERO, reasons: [verdict.skip] }
    }
    const recorded = await getAttestation(chain, { signer: node.signer })
    if (recorded.verifiedAt !== 0 && recorded.valid === verdict.valid && recorded.reportHash === verdict.reportHash && recorded.measurement === node.measurement) {
      return { ...base, outcome: 'unchanged', ...verdict }
    }
    const { hash } = await recordAttestation(chain, { signer: node.signer, measurement: node.measurement, reportHash: verdict.reportHash, valid: verdict.valid })
    log(`attestation of ${node.signer} recorded ${verdict.valid ? 'valid' : `INVALID (${verdict.reasons.join('; ')})`}`)
    return { ...base, outcome: 'recorded', ...verdict, tx: hash }
  }

  const checkNode = (signer: Address) => serial(async () => {
    const node = await getNode(chain, { signer })
    if (node === null) return { signer, endpoint: '', measurement: ZERO, outcome: 'skipped' as const, valid: false, reportHash: ZERO, reasons: ['not registered'] }
    return check(node)
  })
  const checkAll = () => serial(async () => {
    const out: AttestationVerdict[] = []
    for (const node of await listNodes(chain)) {
      if (node.measurement === ZERO) continue
      out.push(await check(node).catch((error: unknown) => ({
        signer: node.signer, endpoint: node.endpoint, measurement: node.measurement, outcome: 'skipped' as const, valid: false, reportHash: ZERO, reasons: [`check failed: ${(error as Error).message}`],
      })))
    }
    return out
  })

  const quietly = (p: Promise<unknown>) => void p.catch((error: unknown) => log(`attestation check failed: ${(error as Error).message}`))
  const timer = setInterval(() => quietly(checkAll()), o.intervalMs ?? 60_000)
  timer.unref()
  const unwatch = chain.publicClient.watchContractEvent({
    address: o.deployment.nodeRegistry, abi: NodeRegistry.abi, eventName: 'NodeRegistered', pollingInterval: 1_000,
    onLogs: (logs) => { for (const l of logs) if (l.args.signer && l.args.measurement !== ZERO) quietly(checkNode(l.args.signer)) },
    onError: (error) => log(`watching registrations failed: ${error.message}`),
  })
  return {
    address: chain.walletClient!.account.address,
    checkNode,
    checkAll,
    close() {
      clearInterval(timer)
      unwatch()
    },
  }
}
