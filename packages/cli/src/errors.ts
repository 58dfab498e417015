/**
 * The CLI's one error boundary. Expected failures (a node error, a failed verification, bad input, an
 * unreachable node) print their message and hint and exit 1; usage errors exit 2; anything else is a
 * bug: print the stack so it can be reported.
 */
import { CommanderError } from 'commander'
import { VerityError } from '@verity/protocol'
import { ConnectionError, NodeRequestError, TimeoutError, VerificationError } from '@verity/sdk'
import { color, info } from './output.ts'

/** A failure the command already explained; exit quietly with its code. */
export class ExitError extends Error {
  readonly exitCode: number
  constructor(exitCode: number, message = '') {
    super(message)
    this.exitCode = exitCode
  }
}

export function handleError(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version end with exit code 0 through the same path.
    return error.exitCode === 0 ? 0 : 2
  }
  if (error instanceof ExitError) {
    if (error.message) info(error.message)
    return error.exitCode
  }
  if (error instanceof VerificationError) {
    info(`${color.red('✘ NOT VERIFIED')} — ${error.message}`)
    info('Do not use this output.')
    return 1
  }
  if (error instanceof NodeRequestError) {
    info(`${color.red('error')} ${error.code}: ${error.message}`)
    const details = Object.entries(error.details)
    if (details.length > 0) info(color.dim(`  details: ${JSON.stringify(error.details)}`))
    return 1
  }
  if (error instanceof VerityError) {
    info(`${color.red('error')} ${error.code}: ${error.message}`)
    info(color.dim(`  hint: ${error.hint}`))
    return 1
  }
  if (error instanceof ConnectionError || error instanceof TimeoutError) {
    info(`${color.red('error')} ${error.message}`)
    return 1
  }
  if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') {
    info(`${color.red('error')} ${(error as Error).message}`)
    return 1
  }
  info(color.red('Unexpected error (a bug in verity; please report it with the output below):'))
  info((error as Error)?.stack ?? String(error))
  return 1
}
