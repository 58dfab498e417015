/**
 * A scripted OpenAI-compatible chat completions server on 127.0.0.1 for tests: each request gets the
 * next scripted reply (a content string, an HTTP status, or a delay), and every request body is kept.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type ScriptedReply = { content?: string; status?: number; delayMs?: number }
export type ScriptedLlmServer = { url: string; requests: { body: Record<string, unknown> }[]; close(): Promise<void> }

/** `script` is called with the request body and the request number; return the reply. */
export async function startScriptedLlm(script: (body: Record<string, unknown>, n: number) => ScriptedReply): Promise<ScriptedLlmServer> {
  const requests: { body: Record<string, unknown> }[] = []
  const server: Server = createServer((req, res) => {
    let data = ''
    req.on('data', (c: Buffer) => (data += c.toString('utf8')))
    req.on('end', () => {
      const body = JSON.parse(data) as Record<string, unknown>
      requests.push({ body })
      const reply = script(body, requests.length - 1)
      const send = () => {
        if (res.destroyed) return
        if (reply.status !== undefined && reply.status !== 200) {
          res.writeHead(reply.status, { 'content-type': 'application/json' }).end('{"error":"scripted"}')
          return
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: reply.content ?? '' }, finish_reason: 'stop' }] }))
      }
      if (reply.delayMs) setTimeout(send, reply.delayMs).unref()
      else send()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
