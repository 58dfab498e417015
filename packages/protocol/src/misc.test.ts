import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { keccak256, encodeAbiParameters, concat } from 'viem'
import {
  canonicalJson, cidForBytes, cidDigest, cidFromDigest, parseCid, parseModelRef, parseRelease, formatRelease, merkleLeaf, merkleProof, merkleRoot,
  verifyMerkleProof, VerityError, utf8, type Hex,
} from './index.ts'

test('CIDs match multiformats hashing and round-trip through the receipt digest', async () => {
  for (const text of ['', 'hello world', 'x'.repeat(100_000)]) {
    const bytes = utf8.encode(text)
    const independent = CID.create(1, raw.code, await sha256.digest(bytes)).toString()
    assert.equal(cidForBytes(bytes), independent)
    assert.equal(cidFromDigest(cidDigest(independent)), independent)
  }
  assert.equal(cidForBytes(utf8.encode('hello world')), 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e')
  assert.throws(() => parseCid('QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG'), (e: unknown) => e instanceof VerityError && e.code === 'INVALID_CID' && /not CIDv1/.test(e.message))
  assert.throws(() => parseCid('nonsense'), /Not a CID/)
})

test('canonical JSON follows RFC 8785 (sorted keys, ES numbers, minimal escapes)', () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, 'é\n'], c: { z: 1e21, y: 0.1, x: -0 } }), '{"a":[true,null,"é\\n"],"b":1,"c":{"x":0,"y":0.1,"z":1e+21}}')
  // RFC 8785 §3.2.3 sorts by UTF-16 code units.
  assert.equal(canonicalJson({ '\u{1F600}': 1, '\uFB33': 2 }), '{"\u{1F600}":1,"\uFB33":2}')
  assert.throws(() => canonicalJson({ a: Number.NaN }), /\$.a is NaN/)
  assert.throws(() => canonicalJson({ a: 1n }), /bigint/)
})

test('Merkle root and proofs agree with an OpenZeppelin-style computation in viem', () => {
  const digests = Array.from({ length: 7 }, (_, i) => keccak256(encodeAbiParameters([{ type: 'uint256' }], [BigInt(i)])))
  const leaves = digests.map(merkleLeaf)
  leaves.forEach((leaf, i) => assert.equal(leaf, keccak256(keccak256(encodeAbiParameters([{ type: 'bytes32' }], [digests[i]!])))))
  const pair = (a: Hex, b: Hex) => keccak256(a < b ? concat([a, b]) : concat([b, a]))
  const l1 = [pair(leaves[0]!, leaves[1]!), pair(leaves[2]!, leaves[3]!), pair(leaves[4]!, leaves[5]!), leaves[6]!]
  const expectedRoot = pair(pair(l1[0]!, l1[1]!), pair(l1[2]!, l1[3]!))
  const root = merkleRoot(leaves)
  assert.equal(root, expectedRoot)
  leaves.forEach((leaf, i) => assert.ok(verifyMerkleProof(leaf, merkleProof(leaves, i), root)))
  assert.equal(verifyMerkleProof(leaves[0]!, merkleProof(leaves, 1), root), false)
  assert.equal(verifyMerkleProof(leaves[0]!, [], root), false)
  assert.equal(merkleRoot([leaves[0]!]), leaves[0])
  assert.throws(() => merkleRoot([]), /at least one leaf/)
})

test('model references and release numbers', () => {
  assert.deepEqual(parseModelRef('acme/mnist@1.02'), { kind: 'name', owner: 'acme', name: 'mnist', release: '1.02' })
  assert.deepEqual(parseModelRef('acme/mnist'), { kind: 'name', owner: 'acme', name: 'mnist', release: null })
  const cid = cidForBytes(utf8.encode('m'))
  assert.deepEqual(parseModelRef(cid), { kind: 'cid', cid })
  assert.equal(formatRelease(parseRelease('2.13')), '2.13')
  assert.throws(() => parseRelease('1.2'), /two minor digits/)
  assert.throws(() => parseModelRef('Acme/mnist'), (e: unknown) => e instanceof VerityError && e.code === 'INVALID_NAME')
})
