import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { artifactsPath, compileContracts, renderArtifacts } from './compile.ts'
import { Disputes, ModelRegistry, NodeRegistry, Settlement } from './index.ts'

test('committed artifacts equal a fresh compile of solidity/ (no drift)', () => {
  const fresh = renderArtifacts(compileContracts())
  const committed = readFileSync(artifactsPath, 'utf8')
  assert.ok(fresh === committed, 'src/artifacts.ts is stale: run `node packages/contracts/scripts/compile.ts` and commit the result')
})

test('every production contract has an ABI and creation bytecode', () => {
  for (const c of [NodeRegistry, ModelRegistry, Settlement, Disputes]) {
    assert.match(c.bytecode, /^0x[0-9a-f]{200,}$/, c.contractName)
    assert.ok(c.abi.some((e) => e.type === 'error'), `${c.contractName} declares custom errors`)
  }
  const names = (abi: readonly { type: string; name?: string }[]) => abi.filter((e) => e.type === 'function').map((e) => e.name)
  assert.ok(names(Settlement.abi).includes('settleReceipt'))
  assert.ok(names(NodeRegistry.abi).includes('wasActiveAt'))
})
