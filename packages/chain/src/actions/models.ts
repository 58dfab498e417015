/** ModelRegistry actions: repositories and immutable releases (file digests, ZK verifier). */
import { zeroAddress, zeroHash, type Address, type Hex } from 'viem'
import { ModelRegistry } from '@verity/contracts'
import { cidDigest, cidFromDigest, formatRelease, isBytes32, isCid, parseRelease, parseRepoName, VerityError } from '@verity/protocol'
import { readAction, writeAction, type VerityClient, type WriteResult } from '../client.ts'

const abi = ModelRegistry.abi
const C = 'ModelRegistry'

export type ReleaseInfo = {
  repository: string
  release: string
  publisher: Address
  publishedAt: number
  /** sha2-256 digests; files[0] is the model a receipt's modelDigest names. */
  files: Hex[]
  /** The same files as raw CIDv1 strings. */
  cids: string[]
  vkHash: Hex
  /** Zero address when the release has no ZK verifier. */
  verifier: Address
}

function checkRepo(repository: string): string {
  const { owner, name } = parseRepoName(repository)
  return `${owner}/${name}`
}

export async function createRepository(client: VerityClient, params: { repository: string }): Promise<WriteResult> {
  const repository = checkRepo(params.repository)
  return writeAction(client, 'createRepository', C, (w) => w.writeContract({ address: client.deployment.modelRegistry, abi, functionName: 'createRepository', args: [repository] }))
}

export async function transferRepository(client: VerityClient, params: { repository: string; newOwner: Address }): Promise<WriteResult> {
  return writeAction(client, 'transferRepository', C, (w) => w.writeContract({ address: client.deployment.modelRegistry, abi, functionName: 'transferRepository', args: [params.repository, params.newOwner] }))
}

export async function getRepositoryOwner(client: VerityClient, params: { repository: string }): Promise<Address | null> {
  const key = await readAction('getRepositoryOwner', C, () => client.publicClient.readContract({ address: client.deployment.modelRegistry, abi, functionName: 'repositoryKey', args: [params.repository] }))
  const owner = await readAction('getRepositoryOwner', C, () => client.publicClient.readContract({ address: client.deployment.modelRegistry, abi, functionName: 'repositoryOwner', args: [key] }))
  return owner === zeroAddress ? null : owner
}

export type PublishReleaseParameters = {
  repository: string
  /** MAJOR.MINOR, e.g. "1.00". */
  release: string
  /** Raw CIDv1 strings or 0x sha2-256 digests; the first is the model. */
  files: readonly string[]
  vkHash?: Hex | undefined
  verifier?: Address | undefined
  /** Create the repository first when it does not exist yet (default true). */
  createRepository?: boolean | undefined
}

/**
 * Publishes an immutable release. @throws VerityError RELEASE_PUBLISHED when it exists, FORBIDDEN when
 * the account does not own the repository, INVALID_NAME / INVALID_CID for bad names or files.
 */
export async function publishRelease(client: VerityClient, params: PublishReleaseParameters): Promise<WriteResult & { releaseKey: Hex }> {
  const repository = checkRepo(params.repository)
  const release = formatRelease(parseRelease(params.release))
  if (params.files.length === 0) throw new VerityError('BAD_REQUEST', `publishRelease ${repository}@${release}: files must list at least the model`, { details: { repository, release } })
  const files = params.files.map((f, i): Hex => {
    if (isBytes32(f)) return f as Hex
    if (isCid(f)) return cidDigest(f)
    throw new VerityError('INVALID_CID', `publishRelease ${repository}@${release}: files[${i}] ${JSON.stringify(f)} is neither a raw sha2-256 CID nor a 0x digest`, { details: { index: i, file: f } })
  })
  if (params.createRepository !== false && (await getRepositoryOwner(client, { repository })) === null) await createRepository(client, { repository })
  const result = await writeAction(client, 'publishRelease', C, (w) => w.writeContract({
    address: client.deployment.modelRegistry, abi, functionName: 'publishRelease',
    args: [repository, release, files, params.vkHash ?? zeroHash, params.verifier ?? zeroAddress],
  }))
  const releaseKey = await client.publicClient.readContract({ address: client.deployment.modelRegistry, abi, functionName: 'releaseKey', args: [repository, release] })
  return { ...result, releaseKey }
}

type RawRelease = { publisher: Address; publishedAt: bigint; vkHash: Hex; verifier: Address; files: readonly Hex[] }
const toReleaseInfo = (repository: string, release: string, r: RawRelease): ReleaseInfo => ({
  repository, release, publisher: r.publisher, publishedAt: Number(r.publishedAt), files: [...r.files], cids: r.files.map((d) => cidFromDigest(d)),
  vkHash: r.vkHash, verifier: r.verifier,
})

/** A published release, or null when there is none. */
export async function getRelease(client: VerityClient, params: { repository: string; release: string }): Promise<ReleaseInfo | null> {
  const key = await client.publicClient.readContract({ address: client.deployment.modelRegistry, abi, functionName: 'releaseKey', args: [params.repository, params.release] })
  const [r, repository, release] = await readAction('getRelease', C, () => client.publicClient.readContract({ address: client.deployment.modelRegistry, abi, functionName: 'getReleaseByKey', args: [key] }))
  return r.publishedAt === 0n ? null : toReleaseInfo(repository, release, r)
}

/** The release a model digest (or raw CID) was first published in, or null. */
export async function getReleaseByDigest(client: VerityClient, params: { digest: string }): Promise<ReleaseInfo | null> {
  const digest = isCid(params.digest) ? cidDigest(params.digest) : (params.digest as Hex)
  const [, r, repository, release] = await readAction('getReleaseByDigest', C, () => client.publicClient.readContract({ address: client.deployment.modelRegistry, abi, functionName: 'getReleaseByDigest', args: [digest] }))
  return r.publishedAt === 0n ? null : toReleaseInfo(repository, release, r)
}

export async function listReleases(client: VerityClient, params: { repository: string }): Promise<string[]> {
  return [...(await readAction('listReleases', C, () => client.publicClient.readContract({ address: client.deployment.modelRegistry, abi, functionName: 'listReleases', args: [params.repository] })))]
}
