/**
 * The node's signing key: created on first start as `<dataDir>/node.key` (0x-hex secp256k1 secret,
 * file mode 0600), read on later starts. The key is never logged; only its address is.
 */
import { chmodSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync, closeSync, fsyncSync } from 'node:fs'
import { join } from 'node:path'
import { generatePrivateKey, privateKeyToAddress, VerityError, type Address, type Hex } from '@verity/protocol'

export type NodeKey = { readonly address: Address; readonly privateKey: Hex; readonly path: string; readonly created: boolean }

export function loadOrCreateNodeKey(dataDir: string, fileName = 'node.key'): NodeKey {
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, fileName)
  let text: string | null = null
  try {
    text = readFileSync(path, 'utf8').trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  if (text !== null) {
    if (!/^0x[0-9a-f]{64}$/.test(text)) {
      throw new VerityError('INTERNAL', `The node key file ${path} is not a 0x-prefixed 32-byte hex key`, { hint: 'Restore it from a backup, or move it away to let the node create a new key (a new key is a new node identity).' })
    }
    // Tighten permissions if someone loosened them.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
    return { address: privateKeyToAddress(text as Hex), privateKey: text as Hex, path, created: false }
  }
  const privateKey = generatePrivateKey()
  const tmp = `${path}.${process.pid}.tmp`
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    writeSync(fd, `${privateKey}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  return { address: privateKeyToAddress(privateKey), privateKey, path, created: true }
}
