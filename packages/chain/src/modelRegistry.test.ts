import { test, before, after, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { keccak256, toHex, zeroAddress, zeroHash, type Hex } from 'viem'
import { cidDigest, cidForBytes, utf8 } from '@verity/protocol'
import { createRepository, getRelease, getReleaseByDigest, getRepositoryOwner, listReleases, publishRelease, transferRepository } from './index.ts'
import { startTestChain, rejectsWith, type TestChain } from './_testChain.ts'

let chain: TestChain
let snap: Hex
before(async () => { chain = await startTestChain() })
after(async () => { await chain.stop() })
beforeEach(async () => { snap = await chain.snapshot() })
afterEach(async () => { await chain.revert(snap) })

const model = cidForBytes(utf8.encode('onnx model bytes v1'))
const tokenizer = cidForBytes(utf8.encode('tokenizer.json'))
const vkHash = keccak256(toHex('verification key'))

test('publish a release: files as CIDs and digests, ZK key and verifier, publisher, lookup by model digest', async () => {
  const owner = chain.as(1)
  await publishRelease(owner, { repository: 'acme/sentiment', release: '1.00', files: [model, tokenizer], vkHash, verifier: chain.address(8) })
  const r = await getRelease(owner, { repository: 'acme/sentiment', release: '1.00' })
  assert.deepEqual(r?.cids, [model, tokenizer])
  assert.deepEqual(r?.files, [cidDigest(model), cidDigest(tokenizer)])
  assert.equal(r?.publisher, chain.address(1))
  assert.equal(r?.vkHash, vkHash)
  assert.equal(r?.verifier, chain.address(8))
  assert.ok((r?.publishedAt ?? 0) > 0)
  const byDigest = await getReleaseByDigest(owner, { digest: model })
  assert.equal(`${byDigest?.repository}@${byDigest?.release}`, 'acme/sentiment@1.00')
  assert.equal(await getReleaseByDigest(owner, { digest: zeroHash }), null)
  await publishRelease(owner, { repository: 'acme/sentiment', release: '1.01', files: [cidDigest(model)] })
  assert.deepEqual(await listReleases(owner, { repository: 'acme/sentiment' }), ['1.00', '1.01'])
  // The digest keeps pointing at the first release that published it.
  assert.equal((await getReleaseByDigest(owner, { digest: model }))?.release, '1.00')
  const noZk = await getRelease(owner, { repository: 'acme/sentiment', release: '1.01' })
  assert.equal(noZk?.verifier, zeroAddress)
  assert.equal(await getRelease(owner, { repository: 'acme/sentiment', release: '9.99' }), null)
})

test('releases are immutable and only the repository owner publishes', async () => {
  const owner = chain.as(1)
  const stranger = chain.as(2)
  await publishRelease(owner, { repository: 'acme/sentiment', release: '1.00', files: [model] })
  await rejectsWith(publishRelease(owner, { repository: 'acme/sentiment', release: '1.00', files: [tokenizer] }), 'RELEASE_PUBLISHED', 'ReleaseExists', /acme\/sentiment@1\.00 is already published/)
  assert.deepEqual((await getRelease(owner, { repository: 'acme/sentiment', release: '1.00' }))?.cids, [model])
  await rejectsWith(publishRelease(stranger, { repository: 'acme/sentiment', release: '2.00', files: [model] }), 'FORBIDDEN', 'NotRepositoryOwner')
  await rejectsWith(createRepository(stranger, { repository: 'acme/sentiment' }), 'ALREADY_EXISTS', 'RepositoryExists')
  await rejectsWith(publishRelease(stranger, { repository: 'other/repo', release: '1.00', files: [model], createRepository: false }), 'NOT_FOUND', 'UnknownRepository')
  await rejectsWith(publishRelease(owner, { repository: 'acme/sentiment', release: '3.00', files: [model], verifier: chain.address(8) }), 'BAD_REQUEST', 'VerifierWithoutKey')
  await rejectsWith(publishRelease(owner, { repository: 'Acme/Bad Name', release: '1.00', files: [model] }), 'INVALID_NAME')
  await rejectsWith(publishRelease(owner, { repository: 'acme/sentiment', release: '1.0', files: [model] }), 'INVALID_NAME')
  await rejectsWith(publishRelease(owner, { repository: 'acme/sentiment', release: '4.00', files: ['not-a-cid'] }), 'INVALID_CID')
  await transferRepository(owner, { repository: 'acme/sentiment', newOwner: chain.address(2) })
  assert.equal(await getRepositoryOwner(owner, { repository: 'acme/sentiment' }), chain.address(2))
  await rejectsWith(publishRelease(owner, { repository: 'acme/sentiment', release: '2.00', files: [model] }), 'FORBIDDEN', 'NotRepositoryOwner')
  await publishRelease(stranger, { repository: 'acme/sentiment', release: '2.00', files: [model] })
  assert.equal((await getRelease(owner, { repository: 'acme/sentiment', release: '2.00' }))?.publisher, chain.address(2))
})
