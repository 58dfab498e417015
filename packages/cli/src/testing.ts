/**
 * `@verity/cli/testing`: runs the `verity` command as a user would (its own process, its bin script),
 * for the CLI's tests and for other packages' end-to-end tests.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const verityBin = fileURLToPath(new URL('../bin/verity.js', import.meta.url))

export type RunVerityOptions = {
  cwd: string
  /** The whole environment of the command (NO_COLOR is added). */
  env?: NodeJS.ProcessEnv | undefined
  /** Kills the command (SIGKILL) after this long; its code is then null. */
  timeoutMs?: number | undefined
}

/** Runs `verity ...args` to its end and returns its exit code and output. */
export async function runVerity(args: string[], options: RunVerityOptions): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [verityBin, ...args], { cwd: options.cwd, env: { ...(options.env ?? process.env), NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr += d })
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)))
  clearTimeout(timer)
  return { code, stdout, stderr }
}
