/**
 * `@verity/cli/testing`: runs the `verity` command as a user would (its own process, its bin script),
 * for the CLI's tests and for other packages' end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process'
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

export type VerityUp = {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Ctrl-C in a terminal: SIGINT to the whole process group; resolves with the command's exit code. */
  ctrlC(): Promise<number | null>
  /**
   * For cleanup, whatever state the test left it in: Ctrl-C, then after `graceMs` SIGKILL to the whole
   * group, so nothing it started (anvil, node processes) outlives the test even when it crashed.
   */
  stop(graceMs?: number): Promise<void>
}

/** Starts `verity up ...args` in its own process group, as a terminal runs it, and waits until it is up. */
export async function startVerityUp(args: string[], options: RunVerityOptions): Promise<VerityUp> {
  const child = spawn(process.execPath, [verityBin, 'up', ...args], {
    cwd: options.cwd, env: { ...(options.env ?? process.env), NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr += d })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      // ESRCH: nothing of the group is left.
    }
  }
  const up: VerityUp = {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    ctrlC: () => {
      signalGroup('SIGINT')
      return exited
    },
    async stop(graceMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) {
        signalGroup('SIGINT')
        await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs).unref())])
      }
      signalGroup('SIGKILL')
    },
  }
  const deadline = Date.now() + (options.timeoutMs ?? 150_000)
  while (!stdout.includes('Press Ctrl-C')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await up.stop(5_000)
      throw new Error(`verity up did not come up: ${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return up
}
