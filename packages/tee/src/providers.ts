/**
 * Node-side providers: code that obtains an attestation on the machine the node runs on.
 *
 * - configfs-tsm (Linux ≥ 6.7, Documentation/ABI/testing/configfs-tsm): plain file I/O under
 *   /sys/kernel/config/tsm/report. mkdir an entry, write ≤ 64 bytes to `inblob`, read `outblob`
 *   (TDX quote or SEV-SNP report), `auxblob` (SNP: the host's certificate table with the VCEK),
 *   `provider` ("tdx_guest" / "sev_guest") and `generation` (must be 1: nobody else wrote inblob
 *   between our write and read), then rmdir. Serves both TDX and SEV-SNP.
 * - AWS Nitro: the NSM is reached by ioctl(fd("/dev/nsm"), NSM_IOCTL_REQUEST = _IOWR(0x0A, 0,
 *   struct nsm_message { iovec request; iovec response; })) with a CBOR request
 *   {"Attestation": {"user_data": …, "nonce": …, "public_key": …}}. Node.js has no ioctl and no way to
 *   pass pointers to iovecs, so this needs native code: an N-API addon (~50 lines of C around the
 *   ioctl) or a helper binary (e.g. built from aws-nitro-enclaves-nsm-api). `nitroProvider` runs such
 *   a helper given as `helper` (argv; it receives the user data as hex in argv and prints the
 *   document as base64); without one it reports itself unavailable and says why.
 * - dev: the INSECURE development attester (dev.ts), for local networks only.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { VerityError } from '@verity/protocol'
import { bindingFor, type BindingOptions } from './binding.ts'
import { createDevAttester, type DevAttesterOptions } from './dev.ts'
import type { AttestationEvidence, DcapCollateral, SnpEvidence } from './types.ts'

export type TeeProviderName = 'nitro' | 'tdx' | 'sev-snp' | 'dev'

export type TeeProvider = {
  name: TeeProviderName
  /** True only for the dev provider: nothing vouches for what it produces. */
  insecure: boolean
  /** Produces evidence whose report data is exactly `reportData` (64 bytes, see bindingFor). */
  attest(reportData: Uint8Array): Promise<AttestationEvidence>
}

export const CONFIGFS_TSM_REPORT = '/sys/kernel/config/tsm/report'

export type DetectedProvider = { name: TeeProviderName; available: boolean; path: string; reason: string }

/** Which TEE interfaces this machine offers (never throws). `root` prefixes paths, for tests. */
export function detectTeeProviders(root = '/'): DetectedProvider[] {
  const at = (p: string) => join(root, p)
  const tsm = existsSync(at(CONFIGFS_TSM_REPORT))
  const tdxDevice = existsSync(at('/dev/tdx_guest'))
  const snpDevice = existsSync(at('/dev/sev-guest'))
  const nsm = existsSync(at('/dev/nsm'))
  return [
    {
      name: 'tdx', available: tsm && tdxDevice, path: at(CONFIGFS_TSM_REPORT),
      reason: tsm && tdxDevice ? 'configfs-tsm with the tdx_guest driver' : tdxDevice ? '/dev/tdx_guest exists but configfs-tsm is not mounted (mount -t configfs none /sys/kernel/config)' : 'no /dev/tdx_guest: not a TDX guest',
    },
    {
      name: 'sev-snp', available: tsm && snpDevice, path: at(CONFIGFS_TSM_REPORT),
      reason: tsm && snpDevice ? 'configfs-tsm with the sev-guest driver' : snpDevice ? '/dev/sev-guest exists but configfs-tsm is not mounted (mount -t configfs none /sys/kernel/config)' : 'no /dev/sev-guest: not an SEV-SNP guest',
    },
    {
      name: 'nitro', available: false, path: at('/dev/nsm'),
      reason: nsm ? '/dev/nsm exists, but Node.js cannot issue its ioctl: configure an NSM helper binary (see nitroProvider)' : 'no /dev/nsm: not inside a Nitro enclave',
    },
    { name: 'dev', available: true, path: '', reason: 'INSECURE development provider: always available, for local networks only' },
  ]
}

/** The raw outputs of one configfs-tsm report entry. */
export type TsmReport = { provider: string; outblob: Uint8Array; auxblob: Uint8Array | null; generation: number }

/**
 * Runs the configfs-tsm protocol on an existing report entry directory: write inblob, read the
 * results, and check that the generation shows exactly our write.
 */
export async function readTsmReport(entry: string, reportData: Uint8Array): Promise<TsmReport> {
  if (reportData.length > 64) throw new TypeError('configfs-tsm: inblob holds at most 64 bytes')
  const before = Number((await readFile(join(entry, 'generation'), 'utf8').catch(() => '0')).trim())
  await writeFile(join(entry, 'inblob'), reportData)
  const outblob = new Uint8Array(await readFile(join(entry, 'outblob')))
  const auxblob = await readFile(join(entry, 'auxblob')).then((b) => (b.length > 0 ? new Uint8Array(b) : null), () => null)
  const provider = (await readFile(join(entry, 'provider'), 'utf8')).trim()
  const generation = Number((await readFile(join(entry, 'generation'), 'utf8')).trim())
  if (generation !== before + 1) {
    throw new VerityError('ATTESTATION_UNAVAILABLE', `configfs-tsm entry ${entry} was written by someone else meanwhile (generation ${before} → ${generation}); retry`)
  }
  if (outblob.length === 0) throw new VerityError('ATTESTATION_UNAVAILABLE', `configfs-tsm entry ${entry} returned an empty report`)
  return { provider, outblob, auxblob, generation }
}

/** GUIDs of the SEV-SNP extended-report certificate table (GHCB spec, "SNP Extended Guest Request"). */
const SNP_CERT_GUIDS = {
  vcek: '63da758d-e664-4564-adc5-f4b93be8accd',
  ask: '4ab7b379-bbac-4fe4-a02f-05aef327c782',
  ark: 'c0b406a4-a803-4952-9743-3fb6014cd0ae',
} as const

function guidToString(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex')
  // The table stores GUIDs in their usual byte order (as uuid_t), so no field swapping.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** Parses the SEV-SNP certificate table: entries {guid[16], offset u32, length u32} up to a zero entry. */
export function parseSnpCertTable(table: Uint8Array): Partial<Record<keyof typeof SNP_CERT_GUIDS, Uint8Array>> {
  const out: Partial<Record<keyof typeof SNP_CERT_GUIDS, Uint8Array>> = {}
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength)
  for (let p = 0; p + 24 <= table.length; p += 24) {
    const guid = table.subarray(p, p + 16)
    if (guid.every((b) => b === 0)) break
    const offset = view.getUint32(p + 16, true)
    const length = view.getUint32(p + 20, true)
    if (offset + length > table.length) throw new VerityError('ATTESTATION_MALFORMED', 'SEV-SNP certificate table entry points outside the table')
    const name = (Object.keys(SNP_CERT_GUIDS) as (keyof typeof SNP_CERT_GUIDS)[]).find((k) => SNP_CERT_GUIDS[k] === guidToString(guid))
    if (name !== undefined) out[name] = table.slice(offset, offset + length)
  }
  return out
}

/** Builds a certificate table (the inverse of parseSnpCertTable; hosts and tests use it). */
export function encodeSnpCertTable(certs: Partial<Record<keyof typeof SNP_CERT_GUIDS, Uint8Array>>): Uint8Array {
  const entries = (Object.keys(certs) as (keyof typeof SNP_CERT_GUIDS)[]).filter((k) => certs[k] !== undefined)
  const header = (entries.length + 1) * 24
  const total = header + entries.reduce((n, k) => n + certs[k]!.length, 0)
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  let offset = header
  entries.forEach((k, i) => {
    out.set(Buffer.from(SNP_CERT_GUIDS[k].replace(/-/g, ''), 'hex'), i * 24)
    view.setUint32(i * 24 + 16, offset, true)
    view.setUint32(i * 24 + 20, certs[k]!.length, true)
    out.set(certs[k]!, offset)
    offset += certs[k]!.length
  })
  return out
}

export type ConfigfsTsmProviderOptions = {
  /** Default /sys/kernel/config/tsm/report. */
  base?: string | undefined
  /** TDX: returns Intel collateral for a quote (from your PCCS, cached). Required for TDX. */
  collateral?: ((quote: Uint8Array) => Promise<DcapCollateral>) | undefined
  /** SEV-SNP: the VCEK when the host does not supply a certificate table in auxblob. */
  vcek?: ((report: Uint8Array) => Promise<Uint8Array | string>) | undefined
}

/** Turns one configfs-tsm report into evidence (split out so it can be tested on recorded outputs). */
export async function tsmReportToEvidence(report: TsmReport, options: ConfigfsTsmProviderOptions = {}): Promise<AttestationEvidence> {
  if (report.provider === 'tdx_guest') {
    if (options.collateral === undefined) throw new VerityError('ATTESTATION_UNAVAILABLE', 'TDX quotes need Intel collateral: pass options.collateral (fetch from a PCCS and cache it)')
    return { kind: 'tdx', quote: report.outblob, collateral: await options.collateral(report.outblob) }
  }
  if (report.provider === 'sev_guest') {
    const certs = report.auxblob === null ? {} : parseSnpCertTable(report.auxblob)
    const vcek = certs.vcek ?? (options.vcek === undefined ? undefined : await options.vcek(report.outblob))
    if (vcek === undefined) throw new VerityError('ATTESTATION_UNAVAILABLE', 'The host supplied no VCEK in auxblob: pass options.vcek (AMD KDS serves it per chip and TCB)')
    const evidence: SnpEvidence = { kind: 'sev-snp', report: report.outblob, vcek, ask: certs.ask, ark: certs.ark }
    return evidence
  }
  throw new VerityError('ATTESTATION_UNAVAILABLE', `configfs-tsm provider "${report.provider}" is not supported (tdx_guest and sev_guest are)`)
}

/** A provider using configfs-tsm (TDX or SEV-SNP, whichever the kernel offers). */
export function configfsTsmProvider(options: ConfigfsTsmProviderOptions = {}): TeeProvider {
  const base = options.base ?? CONFIGFS_TSM_REPORT
  const snp = existsSync('/dev/sev-guest')
  return {
    name: snp ? 'sev-snp' : 'tdx',
    insecure: false,
    async attest(reportData) {
      if (!existsSync(base)) throw new VerityError('ATTESTATION_UNAVAILABLE', `configfs-tsm is not available at ${base}`)
      const entry = join(base, `verity-${randomBytes(6).toString('hex')}`)
      await mkdir(entry)
      try {
        return await tsmReportToEvidence(await readTsmReport(entry, reportData), options)
      } finally {
        await rmdir(entry).catch(() => undefined)
      }
    },
  }
}

export type NitroProviderOptions = {
  /** argv of a helper that talks to /dev/nsm: called with the user data as hex, prints the document as base64. */
  helper?: readonly string[] | undefined
  timeoutMs?: number | undefined
}

/** AWS Nitro provider; needs a native NSM helper (see the module comment for why). */
export function nitroProvider(options: NitroProviderOptions = {}): TeeProvider {
  return {
    name: 'nitro',
    insecure: false,
    async attest(reportData) {
      if (options.helper === undefined || options.helper.length === 0) {
        throw new VerityError('ATTESTATION_UNAVAILABLE',
          'Nitro attestation needs the NSM ioctl on /dev/nsm, which Node.js cannot issue: configure nitroProvider({ helper: [path, ...args] }) with a native NSM helper')
      }
      const [cmd, ...args] = options.helper
      const { stdout } = await promisify(execFile)(cmd!, [...args, Buffer.from(reportData).toString('hex')], { timeout: options.timeoutMs ?? 10_000 })
      return { kind: 'nitro', document: stdout.trim() }
    },
  }
}

/** The INSECURE dev provider (local networks only). */
export function devProvider(options: DevAttesterOptions = {}): TeeProvider {
  const attester = createDevAttester(options)
  return { name: 'dev', insecure: true, attest: async (reportData) => attester.attest(reportData) }
}

/** Obtains evidence binding `address` (and the TLS key, if any) from `provider`. */
export async function attestNode(provider: TeeProvider, address: string, options: BindingOptions = {}): Promise<AttestationEvidence> {
  return provider.attest(bindingFor(address, options))
}
