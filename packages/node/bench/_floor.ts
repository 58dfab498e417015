/**
 * The least any Node HTTP server adds, for the HTTP benchmark's comparison row: bare node:http with
 * the model run inline on the event loop (which a real node must not do: it would stall every other
 * request), and no decoding, checks, hashing, signature or storage. The request body is the single
 * float32 input's raw bytes; the answer is the first output's raw bytes. Prints "URL <url>".
 * Usage: _floor.ts MODEL.onnx INPUT_NAME DIM,DIM,...
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import ort from 'onnxruntime-node'
import { SESSION_OPTIONS } from '@verity/runtime'

const [file, inputName, dims] = process.argv.slice(2) as [string, string, string]
const shape = dims.split(',').map(Number)
const session = await ort.InferenceSession.create(readFileSync(file), structuredClone(SESSION_OPTIONS) as ort.InferenceSession.SessionOptions)
const server = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const body = Buffer.concat(chunks)
    const input = new ort.Tensor('float32', new Float32Array(body.buffer, body.byteOffset, body.byteLength / 4), shape)
    void session.run({ [inputName]: input }).then((outputs) => {
      const data = Object.values(outputs)[0]!.data as Float32Array
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.byteLength })
      response.end(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    })
  })
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`URL http://127.0.0.1:${(server.address() as { port: number }).port}\n`))
process.once('SIGTERM', () => server.close(() => process.exit(0)))
