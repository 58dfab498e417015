/**
 * A scripted OpenAI-compatible upstream for tests: a real HTTP server on 127.0.0.1 that answers
 * each POST /chat/completions with the next step of its script and records what it received.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Step =
  | { status?: number; json: unknown; headers?: Record<string, string>; delayMs?: number }
  | { status?: number; sse: (string | object)[]; headers?: Record<string, string>; delayMs?: number; gapMs?: number; noDone?: boolean }
  | { destroy: true }

export type Received = { url: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }

export type ScriptedUpstream = { baseUrl: string; received: Received[]; push(...steps: Step[]): void; close(): Promise<void> }

export async function startScriptedUpstream(): Promise<ScriptedUpstream> {
  const script: Step[] = []
  const received: Received[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> })
      const step = script.shift()
      if (step === undefined) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'script exhausted' } }))
        return
      }
      if ('destroy' in step) {
        req.socket.destroy()
        return
      }
      if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs))
      if (res.destroyed) return
      if ('json' in step) {
        res.writeHead(step.status ?? 200, { 'content-type': 'application/json', ...step.headers }).end(JSON.stringify(step.json))
        return
      }
      res.writeHead(step.status ?? 200, { 'content-type': 'text/event-stream', ...step.headers })
      for (const event of step.sse) {
        if (res.destroyed) return
        res.write(`data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`)
        if (step.gapMs) await new Promise((r) => setTimeout(r, step.gapMs))
      }
      if (!step.noDone) res.write('data: [DONE]\n\n')
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    received,
    push: (...steps) => script.push(...steps),
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

/** A chat completion as an upstream would send it. */
export function completion(content: string | null, extra: Record<string, unknown> = {}, message: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'chatcmpl-123', object: 'chat.completion', created: 1_700_000_000, model: 'upstream-model-2024',
    choices: [{ index: 0, message: { role: 'assistant', content, ...message }, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    ...extra,
  }
}

export function chunk(delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'chatcmpl-123', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'upstream-model-2024', choices: [{ index: 0, delta, finish_reason: finish }], ...extra }
}
