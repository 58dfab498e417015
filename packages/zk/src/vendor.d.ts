// Minimal typings for the untyped JavaScript libraries this package uses.
declare module 'snarkjs' {
  type FileRef = string | { type: 'mem'; data: Uint8Array }
  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, file: string): Promise<unknown>
    contribute(from: string, to: string, name: string, entropy: string): Promise<Uint8Array>
    beacon(from: string, to: string, name: string, hash: string, iterationsExp: number): Promise<Uint8Array | false>
    verify(file: string): Promise<boolean>
  }
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string): Promise<unknown>
    contribute(from: string, to: string, name: string, entropy: string): Promise<Uint8Array>
    beacon(from: string, to: string, name: string, hash: string, iterationsExp: number): Promise<Uint8Array | false>
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string): Promise<boolean>
    exportVerificationKey(zkey: FileRef): Promise<Record<string, unknown>>
    exportSolidityVerifier(zkey: FileRef, templates: { groth16: string }): Promise<string>
  }
  export const groth16: {
    prove(zkey: FileRef, wtns: FileRef): Promise<{ proof: unknown; publicSignals: string[] }>
    verify(vk: unknown, publicSignals: readonly string[], proof: unknown): Promise<boolean>
  }
}
declare module 'ffjavascript' {
  export class BigBuffer {
    constructor(size: number)
    set(data: Uint8Array, offset: number): void
  }
  export function getCurveFromName(name: string): Promise<any>
}
declare module '@iden3/binfileutils' {
  export function readBinFile(path: string, type: string, version: number): Promise<{ fd: any; sections: any }>
  export function createBinFile(path: string, type: string, version: number, nSections: number): Promise<any>
  export function copySection(fdFrom: any, sections: any, fdTo: any, id: number): Promise<void>
  export function startReadUniqueSection(fd: any, sections: any, id: number): Promise<void>
  export function endReadSection(fd: any, noCheck?: boolean): Promise<void>
  export function startWriteSection(fd: any, id: number): Promise<void>
  export function endWriteSection(fd: any): Promise<void>
  export function readBigInt(fd: any, n8: number): Promise<bigint>
}
