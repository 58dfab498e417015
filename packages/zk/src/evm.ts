/**
 * On-chain verification helpers (Node only): compile the exported Groth16 verifier with solc-js (the
 * bundled soljson, no downloads), encode a proof as `verifyProof` calldata, and talk JSON-RPC to a
 * local chain (anvil from @foundry-rs/anvil-linux-amd64) to deploy and call it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { Groth16Proof } from './verify.ts'

export function compileSolidityVerifier(source: string): { abi: unknown[]; bytecode: string; contract: string } {
  const require = createRequire(import.meta.url)
  const solc = require('solc') as { compile(input: string): string }
  const out = JSON.parse(solc.compile(JSON.stringify({
    language: 'Solidity',
    sources: { 'Verifier.sol': { content: source } },
    settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  }))) as { errors?: Array<{ severity: string; formattedMessage: string }>; contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>> }
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(`solc failed: ${errors.map((e) => e.formattedMessage).join('\n')}`)
  const [contract, compiled] = Object.entries(out.contracts['Verifier.sol']!)[0]!
  return { abi: compiled.abi, bytecode: `0x${compiled.evm.bytecode.object}`, contract }
}

const word = (v: string | bigint) => BigInt(v).toString(16).padStart(64, '0')

/** Calldata for snarkjs' `verifyProof(uint[2] a, uint[2][2] b, uint[2] c, uint[n] pub)`. */
export function verifyProofCalldata(proof: Groth16Proof, publicSignals: readonly string[]): string {
  const sig = `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${publicSignals.length}])`
  const selector = Buffer.from(keccak_256(new TextEncoder().encode(sig))).subarray(0, 4).toString('hex')
  const words = [proof.pi_a[0]!, proof.pi_a[1]!, proof.pi_b[0]![1]!, proof.pi_b[0]![0]!, proof.pi_b[1]![1]!, proof.pi_b[1]![0]!, proof.pi_c[0]!, proof.pi_c[1]!, ...publicSignals]
  return `0x${selector}${words.map(word).join('')}`
}

export type LocalChain = {
  url: string
  rpc(method: string, params: unknown[]): Promise<any>
  deploy(bytecode: string): Promise<string>
  call(to: string, data: string): Promise<string>
  /** Gas used by a real transaction sending `data` (includes the 21,000 base and calldata cost). */
  gasUsed(to: string, data: string): Promise<number>
  stop(): Promise<void>
}

/** Starts anvil on a free loopback port; `stop()` kills it. */
export async function startAnvil(): Promise<LocalChain> {
  const require = createRequire(import.meta.url)
  const bin = require.resolve('@foundry-rs/anvil-linux-amd64/bin/anvil')
  const port = 20000 + Math.floor(Math.random() * 20000)
  const child: ChildProcess = spawn(bin, ['--port', String(port), '--host', '127.0.0.1', '--silent', '--gas-limit', '100000000'], { stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}`
  let id = 0
  const rpc = async (method: string, params: unknown[]) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) })
    const body = (await res.json()) as { result?: unknown; error?: { message: string } }
    if (body.error) throw new Error(`${method}: ${body.error.message}`)
    return body.result
  }
  const deadline = Date.now() + 15000
  for (;;) {
    try {
      await rpc('eth_chainId', [])
      break
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill()
        throw new Error(`anvil did not start on ${url}: ${(error as Error).message}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  const [from] = (await rpc('eth_accounts', [])) as string[]
  const receiptOf = async (hash: unknown) => {
    for (let i = 0; i < 200; i++) {
      const receipt = (await rpc('eth_getTransactionReceipt', [hash])) as { contractAddress: string; status: string; gasUsed: string } | null
      if (receipt) return receipt
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error(`transaction ${String(hash)} was not mined`)
  }
  return {
    url, rpc,
    async deploy(bytecode) {
      const hash = await rpc('eth_sendTransaction', [{ from, data: bytecode, gas: '0x1c9c380' }])
      const receipt = await receiptOf(hash)
      if (receipt.status !== '0x1') throw new Error('deployment reverted')
      return receipt.contractAddress
    },
    call: async (to, data) => (await rpc('eth_call', [{ from, to, data }, 'latest'])) as string,
    // eth_estimateGas is wrong here: the verifier returns false (no revert) when a precompile runs
    // out of gas, so the estimate's binary search settles far too low. Send a transaction instead.
    gasUsed: async (to, data) => {
      const hash = await rpc('eth_sendTransaction', [{ from, to, data, gas: '0xf4240' }])
      const receipt = await receiptOf(hash)
      return Number(receipt.gasUsed)
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill()
    }),
  }
}
