/**
 * The network client: discovers nodes from the on-chain registry (active and staked), spreads requests
 * over them, fails over on timeouts, connection errors, server errors and results that do not verify,
 * and runs QUORUM requests on k independent nodes. Mode TEE picks among active nodes whose attestation
 * the registry records as valid with an allowed measurement, and checks the attestation both offline
 * (teeModeVerifier; the dev provider only with `allowDevTee`) and on chain (`attestation` check). Every result is also checked against the registry:
 * its signer must have been a registered, unslashed node when it signed (`registry` check).
 *
 * Import from `@verity/sdk/network` (it needs viem and @verity/chain; the main entry stays light).
 *
 * @example
 *   const net = createNetworkClient({ rpcUrl, deployment })
 *   const result = await net.infer({ model: 'verity/tiny-mlp@1.00', input, mode: 'quorum', k: 3 })
 *   const onchain = await net.verify(result, { onchain: true })
 */
import { randomBytes } from 'node:crypto'
import {
  createVerityClient, getActiveNodes, getAttestation, getAttestationRecords, getBatch, getMeasurementStatus, getNode, openEquivocationDispute, openQuorumDispute,
  verifyInclusion, wasActiveAt,
  type VerityClient as ChainClient, type VerityDeployment, type SignedReceipt, type WriteResult,
} from '@verity/chain'
import {
  bytesToHex, parseCid, tensorMapFromJson, receiptDigest, recoverReceiptSigner, sameAddress, verifyInferenceResult, VerityError,
  type Address, type CheckOutcome, type Hex, type InclusionResponse, type InferenceResult, type QuorumProof, type QuorumVote, quorumModeVerifier, type Receipt, type TensorMapJson,
} from '@verity/protocol'
import { ConnectionError, NodeRequestError, TimeoutError, VerificationError } from './errors.ts'
import { requestJson, type Transport } from './http.ts'
import type { InferParameters, VerifiedResult } from './client.ts'
import { teeVerifier, type TeeOptions } from './tee.ts'

export type NetworkNodeInfo = {
  address: Address
  url: string
  stake: bigint
  /** The registered TEE measurement hash (zero hash: no TEE). */
  measurement: Hex
}

export type NetworkClientOptions = {
  rpcUrl: string
  deployment: VerityDeployment
  /** Per-node request timeout in ms (then the next node is tried); default 30000. */
  timeoutMs?: number | undefined
  /**
   * How requests are spread over nodes; default 'random'. A function gets the active nodes and returns
   * them in the order to try (it may also leave some out, e.g. to pin a region).
   */
  strategy?: 'random' | 'round-robin' | ((nodes: NetworkNodeInfo[]) => NetworkNodeInfo[]) | undefined
  /** How long a discovered node list is reused, ms; default 10000. */
  discoveryTtlMs?: number | undefined
  fetch?: typeof globalThis.fetch | undefined
  /** Key (0x) or viem account for disputes; reads need none. */
  account?: Parameters<typeof createVerityClient>[0]['account']
} & TeeOptions

export type { QuorumVote, QuorumProof } from '@verity/protocol'

/** Saved by `verity infer --mode quorum` when nodes disagree; `verity dispute FILE` acts on it. */
export type QuorumDisagreement = {
  kind: 'verity-quorum-disagreement'
  version: 1
  model: string
  requestId: Hex
  input: TensorMapJson
  k: number
  groups: Array<{ outputHash: Hex; votes: QuorumVote[] }>
}

export class QuorumDisagreementError extends VerityError {
  readonly report: QuorumDisagreement
  constructor(report: QuorumDisagreement) {
    const lines = report.groups.map((g) => `${g.votes.map((v) => v.receipt.node).join(', ')} said ${g.outputHash.slice(0, 12)}…`)
    super('QUORUM_DISAGREEMENT', `No ${report.k} nodes agreed on the output of request ${report.requestId.slice(0, 12)}…: ${lines.join('; ')}`, {
      details: { requestId: report.requestId, groups: report.groups.map((g) => ({ outputHash: g.outputHash, nodes: g.votes.map((v) => v.receipt.node) })) },
    })
    this.report = report
  }
}

const shuffle = <T>(items: T[]): T[] => {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

/** Errors after which another node is tried: the node is gone, slow, broken, or lied. */
function shouldFailOver(error: unknown): boolean {
  if (error instanceof ConnectionError || error instanceof TimeoutError || error instanceof VerificationError) return true
  if (error instanceof NodeRequestError) return error.status >= 500 || error.status === 429 || error.code === 'MODEL_NOT_FOUND' || error.code === 'UNSUPPORTED_MODE' || error.code === 'TEE_NOT_CONFIGURED'
  return false
}

function parseModelCid(model: string): string | undefined {
  try {
    return parseCid(model).cid
  } catch {
    return undefined
  }
}

export { quorumModeVerifier }

/** All receipts a result stands on: the quorum receipts for QUORUM, else its own. */
export function receiptsOf(result: InferenceResult): SignedReceipt[] {
  const proof = result.proof as Partial<QuorumProof> | undefined
  if (result.receipt.mode === 'QUORUM' && proof?.kind === 'quorum' && Array.isArray(proof.receipts)) return proof.receipts.map((v) => ({ receipt: v.receipt, signature: v.signature }))
  return [{ receipt: result.receipt, signature: result.signature }]
}

/**
 * `registry` check: was every signer a registered node in good standing when it signed
 * (NodeRegistry.wasActiveAt), and has it never been slashed since? A slashed node was proven to lie, and
 * the contracts stop settling its receipts, so its results are refused too.
 */
export async function checkRegistry(chain: ChainClient, result: InferenceResult): Promise<CheckOutcome> {
  const bad: string[] = []
  const receipts = receiptsOf(result)
  try {
    for (const { receipt } of receipts) {
      const node = await getNode(chain, { signer: receipt.node })
      if (node === null) bad.push(`${receipt.node} (never registered)`)
      else if (node.slashedAt !== 0) bad.push(`${receipt.node} (slashed at ${new Date(node.slashedAt * 1000).toISOString()})`)
      else if (!(await wasActiveAt(chain, { signer: receipt.node, timestamp: receipt.timestamp }))) bad.push(`${receipt.node} (not in good standing at ${new Date(receipt.timestamp * 1000).toISOString()})`)
    }
  } catch (error) {
    return { check: 'registry', ok: false, message: `The registry could not be read: ${(error as Error).message}` }
  }
  const who = receipts.length === 1 ? `node ${receipts[0]!.receipt.node}` : `all ${receipts.length} signers`
  return bad.length === 0
    ? { check: 'registry', ok: true, message: `On chain ${chain.deployment.chainId}, ${who} ${receipts.length === 1 ? 'was a' : 'were'} registered, unslashed node${receipts.length === 1 ? '' : 's'} when signing.` }
    : { check: 'registry', ok: false, message: `Not a registered, unslashed node: ${bad.join(', ')}.` }
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')

/**
 * `attestation` check of a TEE receipt against the registry: the signer registered a TEE measurement,
 * governance still allows it, the attestation verifier recorded a valid attestation for the signer
 * with that measurement, and the attestation the receipt relies on (its proofHash) is one the verifier
 * recorded valid for the signer. Says in plain words what failed. Generic over receipts: inference
 * results, LLM receipts, anything carrying a signed Receipt of mode TEE.
 */
export async function checkAttestation(chain: ChainClient, p: { receipt: Receipt }): Promise<CheckOutcome> {
  const { receipt } = p
  const fail = (message: string): CheckOutcome => ({ check: 'attestation', ok: false, message })
  if (receipt.mode !== 'TEE') return fail(`The receipt is mode ${receipt.mode}, not TEE: there is no attestation to check.`)
  const signedAt = iso(receipt.timestamp)
  try {
    const node = await getNode(chain, { signer: receipt.node })
    if (node === null) return fail(`Node ${receipt.node} is not registered on chain ${chain.deployment.chainId}, so no attestation of it was ever recorded.`)
    if (/^0x0{64}$/.test(node.measurement)) return fail(`Node ${receipt.node} registered without a TEE measurement: nothing on chain vouches that its key lives in a TEE.`)
    const status = await getMeasurementStatus(chain, { measurement: node.measurement })
    if (status.revokedAt !== 0) {
      return fail(`The TEE measurement ${node.measurement.slice(0, 18)}… of node ${receipt.node} was revoked by governance at ${iso(status.revokedAt)} (the receipt was signed at ${signedAt}): code with that measurement is no longer trusted.`)
    }
    if (status.allowedAt === 0) return fail(`The TEE measurement ${node.measurement.slice(0, 18)}… of node ${receipt.node} was never allow-listed by governance.`)
    const latest = await getAttestation(chain, { signer: receipt.node })
    if (latest.verifiedAt === 0) return fail(`No attestation of node ${receipt.node} has been recorded yet: the attestation verifier has not checked it (it re-checks on an interval; try again shortly).`)
    if (!latest.valid) return fail(`The attestation verifier recorded node ${receipt.node}'s attestation INVALID at ${iso(latest.verifiedAt)}: its evidence did not verify, did not bind its key, or did not match its registered measurement.`)
    if (latest.measurement !== node.measurement) return fail(`The attestation recorded for node ${receipt.node} has measurement ${latest.measurement.slice(0, 18)}…, not the registered ${node.measurement.slice(0, 18)}….`)
    if (latest.reportHash !== receipt.proofHash) {
      // Nodes re-attest to stay fresh: an earlier attestation the verifier recorded valid still counts.
      const earlier = (await getAttestationRecords(chain, { signer: receipt.node })).filter((r) => r.reportHash === receipt.proofHash)
      const record = earlier.at(-1)
      if (record === undefined) {
        return fail(`Digest mismatch: the receipt relies on attestation ${receipt.proofHash.slice(0, 18)}… (its proofHash), which the verifier never recorded for node ${receipt.node}; the latest recorded is ${latest.reportHash.slice(0, 18)}… at ${iso(latest.verifiedAt)}. If the node re-attested just now, retry after the verifier's next check.`)
      }
      if (!record.valid) return fail(`The attestation ${receipt.proofHash.slice(0, 18)}… this receipt relies on was recorded INVALID for node ${receipt.node}.`)
      if (record.measurement !== node.measurement) return fail(`The attestation ${receipt.proofHash.slice(0, 18)}… was recorded with measurement ${record.measurement.slice(0, 18)}…, not the registered ${node.measurement.slice(0, 18)}….`)
    }
    return {
      check: 'attestation', ok: true,
      message: `On chain ${chain.deployment.chainId}, node ${receipt.node} is attested: measurement ${node.measurement.slice(0, 18)}… is allow-listed (since ${iso(status.allowedAt)}) and the verifier recorded the attestation this receipt relies on as valid.`,
    }
  } catch (error) {
    return fail(`The registry could not be read: ${(error as Error).message}`)
  }
}

/**
 * `inclusion` check: each receipt sits in a Merkle batch root posted on chain by its own signer. The
 * proof is fetched from the node that issued the receipt (its registered endpoint, or `fallbackUrl`).
 */
export async function checkInclusion(chain: ChainClient, result: InferenceResult, p: { fetch?: typeof globalThis.fetch; fallbackUrl?: string; timeoutMs?: number } = {}): Promise<CheckOutcome> {
  const receipts = receiptsOf(result)
  const problems: string[] = []
  const roots = new Set<string>()
  for (const { receipt } of receipts) {
    const id = receiptDigest(receipt)
    let url = p.fallbackUrl
    try {
      url = (await getNode(chain, { signer: receipt.node }))?.endpoint ?? url
    } catch { /* fall back */ }
    if (!url) { problems.push(`no endpoint known for node ${receipt.node}`); continue }
    let inclusion: InclusionResponse
    try {
      inclusion = await requestJson<InclusionResponse>({ url, timeoutMs: p.timeoutMs ?? 15_000, fetch: p.fetch ?? globalThis.fetch.bind(globalThis), headers: {} }, `/v1/receipts/${id}/inclusion`)
    } catch (error) {
      problems.push(`node ${receipt.node} at ${url} gave no inclusion proof: ${(error as Error).message.split('\n')[0]}`)
      continue
    }
    if (!inclusion.settled || inclusion.root === null) { problems.push(`receipt ${id.slice(0, 10)}… of node ${receipt.node} is not settled yet (try again after its next settlement)`); continue }
    const [included, batch] = await Promise.all([
      verifyInclusion(chain, { digest: id, proof: inclusion.proof, root: inclusion.root }).catch(() => false),
      getBatch(chain, { root: inclusion.root }).catch(() => null),
    ])
    if (!included) problems.push(`receipt ${id.slice(0, 10)}… is not in root ${inclusion.root.slice(0, 10)}… on chain`)
    else if (!batch || !sameAddress(batch.node, receipt.node)) problems.push(`root ${inclusion.root.slice(0, 10)}… was posted by ${batch?.node ?? 'nobody'}, not by the signer ${receipt.node}`)
    else roots.add(inclusion.root)
  }
  return problems.length === 0
    ? { check: 'inclusion', ok: true, message: `${receipts.length === 1 ? 'The receipt is' : `All ${receipts.length} receipts are`} settled on chain ${chain.deployment.chainId}: Merkle proofs lead to ${roots.size} batch root${roots.size === 1 ? '' : 's'} posted by ${receipts.length === 1 ? 'its signer' : 'their signers'}.` }
    : { check: 'inclusion', ok: false, message: `Settlement on chain not proven: ${problems.join('; ')}.` }
}

/**
 * Turns a quorum disagreement (or a quorum result with dissent) into disputes: a node that signed two
 * different outputs for the request is slashed for equivocation; a node outvoted by at least the
 * contract's quorumThreshold agreeing nodes is slashed by a quorum dispute.
 */
export async function openQuorumDisputes(chain: ChainClient, input: QuorumDisagreement | InferenceResult): Promise<Array<WriteResult & { slashed: Address; kind: 'quorum' | 'equivocation' }>> {
  const groups = 'kind' in input && input.kind === 'verity-quorum-disagreement'
    ? input.groups
    : groupVotes([...((input as InferenceResult).proof as QuorumProof | undefined)?.receipts ?? [], ...((input as InferenceResult).proof as QuorumProof | undefined)?.dissent ?? []])
  if (groups.length < 2) throw new VerityError('BAD_REQUEST', 'There is nothing to dispute: every receipt agrees on the output.')
  const out: Array<WriteResult & { slashed: Address; kind: 'quorum' | 'equivocation' }> = []
  const done = new Set<string>()
  // Equivocation: one signer, two outputs.
  const all = groups.flatMap((g) => g.votes)
  for (const a of all) {
    const b = all.find((v) => sameAddress(v.receipt.node, a.receipt.node) && v.receipt.outputHash !== a.receipt.outputHash)
    if (b && !done.has(a.receipt.node.toLowerCase())) {
      out.push({ ...(await openEquivocationDispute(chain, { a, b })), kind: 'equivocation' })
      done.add(a.receipt.node.toLowerCase())
    }
  }
  const sorted = [...groups].sort((x, y) => y.votes.length - x.votes.length)
  const majority = sorted[0]!.votes.filter((v) => !done.has(v.receipt.node.toLowerCase()))
  const threshold = chain.deployment.parameters.quorumThreshold
  if (majority.length < threshold) {
    if (out.length > 0) return out
    throw new VerityError('BAD_REQUEST', `The largest agreeing group has ${majority.length} receipts, fewer than the ${threshold} the Disputes contract needs to outvote a node.`, { details: { threshold } })
  }
  for (const g of sorted.slice(1)) {
    for (const contested of g.votes) {
      if (done.has(contested.receipt.node.toLowerCase())) continue
      out.push({ ...(await openQuorumDispute(chain, { contested, majority })), kind: 'quorum' })
      done.add(contested.receipt.node.toLowerCase())
    }
  }
  return out
}

function groupVotes(votes: QuorumVote[]): QuorumDisagreement['groups'] {
  const groups: QuorumDisagreement['groups'] = []
  for (const v of votes) {
    const g = groups.find((x) => x.outputHash === v.receipt.outputHash)
    if (g) g.votes.push(v)
    else groups.push({ outputHash: v.receipt.outputHash, votes: [v] })
  }
  return groups
}

export type NetworkInferParameters = Omit<InferParameters, 'mode'> & {
  mode?: InferParameters['mode']
  /** QUORUM: how many independent nodes must sign the same output; default 3. */
  k?: number | undefined
}

export function createNetworkClient(options: NetworkClientOptions) {
  const chain = createVerityClient({ rpcUrl: options.rpcUrl, deployment: options.deployment, account: options.account })
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis)
  const timeoutMs = options.timeoutMs ?? 30_000
  let cache: { at: number; nodes: NetworkNodeInfo[] } | null = null
  let cursor = 0

  async function discover(fresh = false): Promise<NetworkNodeInfo[]> {
    if (!fresh && cache && Date.now() - cache.at < (options.discoveryTtlMs ?? 10_000)) return cache.nodes
    const nodes = (await getActiveNodes(chain)).map((n) => ({ address: n.signer, url: n.endpoint, stake: n.stake, measurement: n.measurement }))
    cache = { at: Date.now(), nodes }
    attestedCache = null
    return nodes
  }

  let attestedCache: Promise<NetworkNodeInfo[]> | null = null
  /** Active nodes the registry records as attested (valid attestation, measurement still allowed). */
  async function discoverAttested(): Promise<NetworkNodeInfo[]> {
    const nodes = await discover()
    attestedCache ??= (async () => {
      const withTee = nodes.filter((n) => !/^0x0{64}$/.test(n.measurement))
      const attested = await Promise.all(withTee.map(async (n) => (await getAttestation(chain, { signer: n.address })).attested))
      return withTee.filter((_, i) => attested[i])
    })().catch((error: unknown) => { attestedCache = null; throw error })
    return attestedCache
  }

  /** Candidates in the order to try them; mode TEE: only active, attested nodes. */
  async function candidates(tee = false): Promise<NetworkNodeInfo[]> {
    let nodes = [...(tee ? await discoverAttested() : await discover())]
    if (typeof options.strategy === 'function') nodes = options.strategy(nodes)
    if (nodes.length === 0 && tee) {
      throw new VerityError('NO_NODES', `The registry at ${options.deployment.nodeRegistry} (chain ${options.deployment.chainId}) lists no active node with a valid TEE attestation and an allowed measurement.`, {
        hint: 'Start TEE nodes (`verity up --tee dev` locally) and wait for the attestation verifier to record them, or use another mode.',
      })
    }
    if (nodes.length === 0) throw new VerityError('NO_NODES', `The registry at ${options.deployment.nodeRegistry} (chain ${options.deployment.chainId}) lists no active node.`)
    if (typeof options.strategy === 'function') return nodes
    if (options.strategy === 'round-robin') {
      const start = cursor++ % nodes.length
      return [...nodes.slice(start), ...nodes.slice(0, start)]
    }
    return shuffle(nodes)
  }

  const transport = (node: NetworkNodeInfo): Transport => ({ url: node.url, timeoutMs, fetch: fetchImpl, headers: {} })

  /** One attempt on one node: the result must verify offline and come from that node's registered key. */
  async function inferOn(node: NetworkNodeInfo, body: Record<string, unknown>, expectedModel: string | undefined, modeVerifier?: InferParameters['modeVerifier']): Promise<VerifiedResult> {
    const requestTimeout = typeof body.timeoutMs === 'number' ? Math.max(timeoutMs, body.timeoutMs + 5_000) : timeoutMs
    const result = await requestJson<InferenceResult>(transport(node), '/v1/infer', { body, timeoutMs: requestTimeout })
    const verification = verifyInferenceResult(result, { trustedSigners: [node.address], expectedModel, modeVerifier })
    if (!verification.ok) throw new VerificationError(verification.checks)
    return { ...result, source: { ...result.source, node: node.url }, verification: verification as VerifiedResult['verification'], outputs: tensorMapFromJson(result.output, 'output') }
  }

  const withRegistry = async (result: VerifiedResult): Promise<VerifiedResult> => {
    const registry = await checkRegistry(chain, result)
    const attestation = result.receipt.mode === 'TEE' ? [await checkAttestation(chain, result)] : []
    const checks = [...result.verification.checks, registry, ...attestation]
    if (!registry.ok || attestation.some((c) => !c.ok)) throw new VerificationError(checks)
    return { ...result, verification: { ...result.verification, checks } }
  }

  /**
   * Runs `attempt` on the active nodes (with `tee`: those with a valid recorded TEE attestation) in
   * strategy order until one succeeds, moving on after the errors `shouldFailOver` names (gone, slow,
   * broken, lying, or lacking the model or mode).
   */
  async function failover<T>(attempt: (node: NetworkNodeInfo) => Promise<T>, p: { tee?: boolean } = {}): Promise<T> {
    const failures: string[] = []
    for (const node of await candidates(p.tee === true)) {
      try {
        return await attempt(node)
      } catch (error) {
        if (!shouldFailOver(error)) throw error
        failures.push(`${node.url}: ${(error as Error).message.split('\n')[0]}`)
        cache = null
      }
    }
    throw new VerityError('NO_NODES', `No node returned a verified result (${failures.length} tried): ${failures.join('; ')}`, { details: { failures } })
  }

  async function single(p: NetworkInferParameters): Promise<VerifiedResult> {
    const { modeVerifier, k: _k, ...body } = p
    const expectedModel = parseModelCid(p.model)
    const tee = p.mode === 'tee'
    return failover(async (node) => withRegistry(await inferOn(node, body, expectedModel, modeVerifier ?? (tee ? teeVerifier(options) : undefined))), { tee })
  }

  async function quorum(p: NetworkInferParameters): Promise<VerifiedResult> {
    const k = p.k ?? 3
    if (!Number.isInteger(k) || k < 1) throw new VerityError('BAD_REQUEST', `k must be a positive integer, got ${String(k)}`)
    const { modeVerifier: _mv, k: _k, ...rest } = p
    const requestId = p.requestId ?? (bytesToHex(randomBytes(32)) as Hex)
    const body = { ...rest, mode: 'quorum', requestId }
    const expectedModel = parseModelCid(p.model)
    const pool = await candidates()
    if (pool.length < k) throw new VerityError('NO_NODES', `QUORUM with k = ${k} needs ${k} active nodes, but the registry lists ${pool.length}.`, { details: { k, active: pool.length } })
    const votes: Array<QuorumVote & { result: VerifiedResult }> = []
    const failures: string[] = []
    const groupOf = (hash: Hex) => votes.filter((v) => v.receipt.outputHash === hash)
    const agreed = () => votes.find((v) => groupOf(v.receipt.outputHash).length >= k)
    // k lanes run in parallel; a lane whose node fails takes the next unused node. If the k answers
    // disagree, spare nodes are asked one at a time until k agree or none is left.
    const vote = async (): Promise<void> => {
      for (let node = pool.shift(); node; node = pool.shift()) {
        try {
          const r = await inferOn(node, body, expectedModel, () => ({ check: 'mode', ok: true, message: 'quorum receipt (checked with the others)' }))
          if (r.receipt.mode !== 'QUORUM' || r.receipt.requestId !== requestId) throw new VerificationError([{ check: 'mode', ok: false, message: `Node ${node.url} did not answer request ${requestId} in mode QUORUM.` }])
          votes.push({ receipt: r.receipt, signature: r.signature, node: node.url, output: r.output, result: r })
          return
        } catch (error) {
          if (!shouldFailOver(error)) throw error
          failures.push(`${node.url}: ${(error as Error).message.split('\n')[0]}`)
        }
      }
    }
    await Promise.all(Array.from({ length: k }, vote))
    while (!agreed() && pool.length > 0) await vote()
    const winner = agreed()
    const groups = groupVotes(votes.map(({ result: _r, ...v }) => v))
    if (!winner) {
      if (groups.length <= 1) throw new VerityError('NO_NODES', `Only ${votes.length} of the ${k} nodes a quorum needs returned a verified result: ${failures.join('; ')}`, { details: { k, failures } })
      throw new QuorumDisagreementError({ kind: 'verity-quorum-disagreement', version: 1, model: winnerModel(votes), requestId, input: votes[0]!.result.input, k, groups })
    }
    const agreeing = groupOf(winner.receipt.outputHash).slice(0, k)
    const dissent = votes.filter((v) => v.receipt.outputHash !== winner.receipt.outputHash).map(({ result: _r, output: _o, ...v }) => v)
    const proof: QuorumProof = { kind: 'quorum', k, receipts: agreeing.map(({ result: _r, output: _o, ...v }) => v), ...(dissent.length ? { dissent } : {}) }
    const base = winner.result
    const result: InferenceResult = { version: 1, model: base.model, input: base.input, output: base.output, receipt: base.receipt, signature: base.signature, proof, source: base.source ?? {} }
    const verification = verifyInferenceResult(result, { trustedSigners: agreeing.map((v) => v.receipt.node), expectedModel, modeVerifier: quorumModeVerifier({ k }) })
    if (!verification.ok) throw new VerificationError(verification.checks)
    return withRegistry({ ...result, verification: verification as VerifiedResult['verification'], outputs: tensorMapFromJson(result.output, 'output') })
  }

  return {
    chain,
    deployment: options.deployment,
    /** Active, staked nodes from the registry (cached for discoveryTtlMs). */
    discover,
    /** Active nodes with a valid recorded TEE attestation and an allowed measurement (what mode tee picks among). */
    discoverAttested,
    failover,
    /** The on-chain attestation check of a TEE receipt on this network (see checkAttestation). */
    checkAttestation: (p: { receipt: Receipt }) => checkAttestation(chain, p),
    /** Runs a model on the network; `mode: 'quorum'` runs it on k nodes. Every result is verified, including the registry check. */
    infer(p: NetworkInferParameters): Promise<VerifiedResult> {
      return p.mode === 'quorum' ? quorum(p) : single(p)
    },
    /**
     * Checks a saved result: the offline checks (with the QUORUM verifier for quorum results), the
     * registry check, and with `onchain` the inclusion of every receipt in a settled batch root.
     */
    async verify(result: unknown, p: { onchain?: boolean; k?: number; trustedSigners?: readonly string[] } = {}): Promise<{ ok: boolean; checks: CheckOutcome[] }> {
      const r = result as InferenceResult
      const isQuorum = r?.receipt?.mode === 'QUORUM'
      const isTee = r?.receipt?.mode === 'TEE'
      // Saved TEE results: the attestation as of the receipt's time, then its standing on chain.
      const modeVerifier = isQuorum ? quorumModeVerifier({ k: p.k }) : isTee ? teeVerifier(options, { atReceiptTime: true }) : undefined
      const offline = verifyInferenceResult(result, { trustedSigners: p.trustedSigners, modeVerifier })
      const checks = [...offline.checks]
      if (offline.checks[0]?.ok) {
        checks.push(await checkRegistry(chain, r))
        if (isTee) checks.push(await checkAttestation(chain, r))
        if (p.onchain) checks.push(await checkInclusion(chain, r, { fetch: fetchImpl, fallbackUrl: r.source?.node }))
      }
      return { ok: checks.every((c) => c.ok), checks }
    },
    /** Slashes the nodes a disagreement (or a quorum result's dissent) proves wrong; needs `account`. */
    dispute: (input: QuorumDisagreement | InferenceResult) => openQuorumDisputes(chain, input),
  }
}

function winnerModel(votes: Array<{ result: VerifiedResult }>): string {
  return votes[0]!.result.model
}

export type NetworkClient = ReturnType<typeof createNetworkClient>
export type { VerityDeployment }
