/**
 * Server-sent events framing (the WHATWG event-stream format, as OpenAI-compatible servers send it),
 * shared by the gateway (reading upstreams) and the SDK (reading the node).
 */

/**
 * Takes every complete event off the front of `buffer`: their data (multi-line data joined by \n;
 * events without data skipped) and what is left, an incomplete event to keep for the next read.
 */
export function takeSseEvents(buffer: string): { data: string[]; rest: string } {
  const data: string[] = []
  let rest = buffer
  let boundary: RegExpExecArray | null
  while ((boundary = /\r?\n\r?\n/.exec(rest)) !== null) {
    const event = rest.slice(0, boundary.index)
    rest = rest.slice(boundary.index + boundary[0].length)
    const joined = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n')
    if (joined !== '') data.push(joined)
  }
  return { data, rest }
}
