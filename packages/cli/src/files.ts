import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { ExitError } from './errors.ts'

/** Reads and parses a JSON file (or stdin for "-"), with an error naming the file and the problem. */
export function readJsonFile(file: string): unknown {
  let text: string
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8')
  } catch (error) {
    throw new ExitError(1, `Cannot read ${file}: ${(error as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ExitError(1, `${file} is not valid JSON: ${(error as Error).message}`)
  }
}

/** Writes a file atomically: a crash never leaves a half-written result behind. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, data)
  renameSync(tmp, file)
}
