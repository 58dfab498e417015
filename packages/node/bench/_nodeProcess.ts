// Starts a bench node script (_serve.ts, _serveLlm.ts) in its own process, as in production; it prints "URL <url>" when listening.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export async function startNodeProcess(script: URL, args: string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    let buf = ''
    child.stdout.on('data', (d) => {
      buf += d
      const m = /URL (\S+)/.exec(buf)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`bench node exited with ${code}`)))
  })
  return { url, stop: () => new Promise((r) => { child.once('exit', () => r()); child.kill('SIGTERM') }) }
}
