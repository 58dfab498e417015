/**
 * One output module for the CLI: results to stdout, progress and diagnostics to stderr, colour only on
 * a TTY without NO_COLOR. Message wording lives with the commands; formatting lives here.
 */
import { SingleBar } from 'cli-progress'

const useColor = (stream: NodeJS.WriteStream) => stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb'
const paint = (code: number) => (text: string) => (useColor(process.stdout) ? `\x1b[${code}m${text}\x1b[0m` : text)
export const color = { green: paint(32), red: paint(31), yellow: paint(33), dim: paint(2), bold: paint(1), cyan: paint(36) }

export const out = (line = ''): void => {
  process.stdout.write(`${line}\n`)
}
export const info = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

/** Prints aligned columns. */
export function table(rows: string[][], indent = '  '): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell)) })
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell)))).join('  ')).join('\n')
}

function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`
}

/**
 * A progress reporter for long transfers: a bar on a TTY, a few percentage lines otherwise (so logs
 * in CI still show that work is moving). Writes to stderr, never stdout.
 */
export function progress(label: string): { update: (done: number, total: number | null) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% {doneText}/{totalText}`, stream: process.stderr, hideCursor: true, clearOnComplete: false, barsize: 30 })
    let started = false
    return {
      update(done, total) {
        if (!started) { bar.start(total ?? done, 0, { doneText: '0 B', totalText: total ? formatBytes(total) : '?' }); started = true }
        if (total) bar.setTotal(total)
        bar.update(done, { doneText: formatBytes(done), totalText: total ? formatBytes(total) : '?' })
      },
      stop() { if (started) bar.stop() },
    }
  }
  let lastStep = -1
  return {
    update(done, total) {
      if (!total) return
      const step = Math.floor((done / total) * 4)
      if (step !== lastStep) { lastStep = step; info(`${label}: ${Math.round((done / total) * 100)}% (${formatBytes(done)} of ${formatBytes(total)})`) }
    },
    stop() {},
  }
}

/** Waits for Ctrl-C (SIGINT) or SIGTERM, then runs `stop` once, saying what it does. */
export function untilSignal(stopping: string, stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = () => {
      info(color.dim(`\n${stopping}`))
      stop().then(resolve, (error: unknown) => { info(String(error)); resolve() })
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  })
}
