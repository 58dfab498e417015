/**
 * The ZKML check in the page (loaded lazily, only for ZKML results): the SDK's own checks from
 * @verity/zk/verify — proof hash committed by the receipt, model tag, verification key, input and
 * output commitments, and the Groth16 pairing (in the explorer build, with lib/groth16.ts) — against
 * the verification key of the model release, fetched by content address and compared to the vk hash
 * the model card publishes.
 */
import { cidForBytes, type InferenceResult, type ModelCardJson } from '@verity/protocol'
import { verifyZkInferenceResult, vkHash, type ZkCheck, type ZkVerifierKey } from '@verity/zk/verify'
import { api } from './api.ts'
import type { DisplayCheck } from './checks.ts'

type ZkSetupJson = { cid: string; repo: string; release: string; vkHash: string; files: Record<string, string> }

const zkTitles: Record<ZkCheck['check'], string> = {
  format: 'Proof well-formed', model: 'Proof is for this model', vk: 'Verification key', input: 'Input committed', output: 'Output committed', proof: 'Groth16 proof',
}

/** The model release's verification key: downloaded by CID (bytes re-hashed here) and matched to the card's vk hash. */
async function releaseKey(cid: string): Promise<{ key: ZkVerifierKey; source: string }> {
  const setup = await api<ZkSetupJson>(`/v1/zk/${encodeURIComponent(cid)}`)
  const file = setup.files['zk/vk.json']
  if (!file) throw new Error(`the setup in ${setup.repo}@${setup.release} has no zk/vk.json`)
  const response = await fetch(`/v1/blobs/${encodeURIComponent(file)}`)
  if (!response.ok) throw new Error(`zk/vk.json could not be downloaded (HTTP ${response.status})`)
  const bytes = new Uint8Array(await response.arrayBuffer())
  if (cidForBytes(bytes) !== file) throw new Error(`zk/vk.json does not hash to its CID ${file}`)
  const key = JSON.parse(new TextDecoder().decode(bytes)) as ZkVerifierKey
  if (key?.version !== 1 || key.cid !== cid) throw new Error(`zk/vk.json is not a verification key for model ${cid}`)
  const [owner, name] = setup.repo.split('/')
  const card = await api<ModelCardJson>(`/v1/repos/${encodeURIComponent(owner!)}/${encodeURIComponent(name!)}`)
  const release = card.releases.find((r) => r.release === setup.release)
  const hash = vkHash(key.vk)
  if (!release || release.vkHash !== hash) throw new Error(`the key hashes to ${hash}, but release ${setup.repo}@${setup.release} publishes ${release?.vkHash ?? 'no vk hash'}`)
  return { key, source: `the verification key of ${setup.repo}@${setup.release} (vk hash ${hash.slice(0, 10)}…, as its model card publishes)` }
}

/** The mode check plus one line per ZK check, for a ZKML result that carries its proof. */
export async function checkZkmlInBrowser(result: InferenceResult): Promise<{ mode: DisplayCheck; details: DisplayCheck[] }> {
  let key: ZkVerifierKey
  let source: string
  try {
    ({ key, source } = await releaseKey(result.model))
  } catch (error) {
    const embedded = (result.proof as { verifierKey?: ZkVerifierKey } | undefined)?.verifierKey
    if (!embedded) {
      return { mode: { id: 'mode', title: 'ZK proof', status: 'skip', message: `Mode ZKML: the model release's verification key is not available from this node (${(error as Error).message}), and the result does not carry one, so the proof cannot be checked here.` }, details: [] }
    }
    key = embedded
    source = `the verification key saved inside the result (vk hash ${vkHash(embedded.vk).slice(0, 10)}…; this node has no release key to compare it with, so check that hash against the model's publisher)`
  }
  const v = await verifyZkInferenceResult(result, key)
  const details = v.checks.map((c): DisplayCheck => ({ id: `zk-${c.check}`, title: zkTitles[c.check], status: c.ok ? 'pass' : 'fail', message: c.message }))
  return {
    mode: { id: 'mode', title: 'ZK proof', status: v.ok ? 'pass' : 'fail', message: `${v.message} Checked in your browser against ${source}.` },
    details,
  }
}
