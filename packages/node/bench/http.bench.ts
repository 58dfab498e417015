/**
 * The HTTP path vs raw onnxruntime-node, side by side in one run: the same models, the same inputs,
 * sent as JSON (base64 tensors) and as binary messages (VRB1),
 * concurrency 1 and 8. The node runs as a separate process (as in production), seeded with the
 * sample models; the raw baseline runs InferenceSession.run in this process with the runtime's
 * session options. A third process (_floor.ts) gives the floor: bare node:http running the model
 * inline, with none of the node's work; what any Node HTTP server adds on this machine.
 */
import { writeFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { join } from 'node:path'
import ort from 'onnxruntime-node'
import { load, summarize, type BenchContext } from '@verity/bench'
import { prepareInputs, SESSION_OPTIONS } from '@verity/runtime'
import { describeModel } from '@verity/onnx'
import { buildConvNet, sampleModel } from '@verity/samples'
import { createClient } from '@verity/sdk'
import { BINARY_MESSAGE_MEDIA_TYPE, decodeBinaryMessage, encodeBinaryMessage, tensorToJson, type Tensor } from '@verity/protocol'
import { startNodeProcess } from './_nodeProcess.ts'

const toOrt = (t: Tensor) => new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.shape)


/** POST with node:http over kept-alive sockets: the HTTP path itself, without fetch's own overhead. */
function poster(base: string, concurrency: number, raw = false): (path: string, body: string | Uint8Array) => Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const { hostname, port } = new URL(base)
  return (path, body) => new Promise<void>((resolve, reject) => {
    const binary = typeof body !== 'string'
    const headers = { 'content-type': binary ? (raw ? 'application/octet-stream' : BINARY_MESSAGE_MEDIA_TYPE) : 'application/json', 'content-length': binary ? body.byteLength : Buffer.byteLength(body) }
    const req = httpRequest({ agent, hostname, port, path, method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const answer = Buffer.concat(chunks)
        if (res.statusCode !== 200) return reject(new Error(answer.toString()))
        // Read the answer as a client must: the tensors decoded, not just the bytes received.
        if (headers['content-type'] === BINARY_MESSAGE_MEDIA_TYPE) decodeBinaryMessage(answer)
        else if (!binary) JSON.parse(answer.toString())
        resolve()
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

export default async function run(ctx: BenchContext): Promise<void> {
  const node = await startNodeProcess(new URL('./_serve.ts', import.meta.url), [join(ctx.tmpDir, 'node')])
  try {
    const client = createClient({ url: node.url })
    const rows: Array<Array<string | number>> = []
    const total = ctx.quick ? 40 : 200
    // The same network 4x deeper (same input and output): the fixed cost against a longer model.
    const deep = { repo: 'bench/conv-net-24', release: '1.00', bytes: () => buildConvNet(3, 24), exampleInput: sampleModel('verity/conv-net').exampleInput }
    await client.createRepository({ repo: deep.repo, task: 'image-classification' })
    await client.createRelease({ repo: deep.repo, release: deep.release })
    await client.pushFile({ repo: deep.repo, release: deep.release, path: 'model.onnx', bytes: deep.bytes() })
    await client.publishRelease({ repo: deep.repo, release: deep.release })
    for (const sample of [sampleModel('verity/conv-net'), deep, sampleModel('paddleocr/text-recognizer'), sampleModel('verity/wide-mlp')]) {
      const repo = sample.repo
      const bytes = sample.bytes()
      const input = sample.exampleInput()
      const typed = prepareInputs(describeModel(bytes), input)
      const session = await ort.InferenceSession.create(bytes, structuredClone(SESSION_OPTIONS) as ort.InferenceSession.SessionOptions)
      const feeds = Object.fromEntries(Object.entries(typed).map(([k, t]) => [k, toOrt(t)]))
      const ref = `${sample.repo}@${sample.release}`
      const compactInput = Object.fromEntries(Object.entries(typed).map(([k, t]) => [k, tensorToJson(t, 'base64')]))
      const body = JSON.stringify({ model: ref, input: compactInput, encoding: 'base64' })
      const binaryBody = encodeBinaryMessage({ model: ref }, typed)
      const [inputName, inputTensor] = Object.entries(typed)[0]!
      const modelFile = join(ctx.tmpDir, `${repo.replace('/', '_')}.onnx`)
      writeFileSync(modelFile, bytes)
      const floorNode = await startNodeProcess(new URL('./_floor.ts', import.meta.url), [modelFile, inputName, inputTensor.shape.join(',')])
      const inputData = inputTensor.data as Float32Array
      const floorBody = new Uint8Array(inputData.buffer, inputData.byteOffset, inputData.byteLength).slice()
      for (const concurrency of [1, 8]) {
        ctx.progress(`${repo} concurrency ${concurrency}`)
        await load(() => session.run(feeds), 10, 1)
        const post = poster(node.url, concurrency)
        const http1 = () => post('/v1/infer', body)
        const binary1 = () => post('/v1/infer', binaryBody)
        const postFloor = poster(floorNode.url, concurrency, true)
        const floor1 = () => postFloor('/', floorBody)
        await load(floor1, 10, concurrency)
        await load(http1, 10, concurrency)
        await load(binary1, 10, concurrency)
        // Interleaved rounds: a change in machine load hits every path alike.
        const raw = { latencies: [] as number[], throughput: 0 }
        const http = { latencies: [] as number[], throughput: 0 }
        const binary = { latencies: [] as number[], throughput: 0 }
        const sdk = { latencies: [] as number[], throughput: 0 }
        const floor = { latencies: [] as number[], throughput: 0 }
        const rounds = 4
        for (let round = 0; round < rounds; round++) {
          for (const [into, fn] of [[raw, () => session.run(feeds)], [floor, floor1], [http, http1], [binary, binary1], [sdk, () => client.infer({ model: ref, input: compactInput })]] as const) {
            const m = await load(fn, Math.ceil(total / rounds), concurrency)
            into.latencies.push(...m.latencies)
            into.throughput += m.throughput / rounds
          }
        }
        const r = summarize(raw.latencies)
        for (const [label, m] of [['raw onnxruntime (in-process)', raw], ['floor: bare node:http, inline run, no receipt', floor], ['node HTTP (JSON, base64 tensors)', http], ['node HTTP (binary tensors)', binary], ['node HTTP binary + SDK verification', sdk]] as const) {
          const s = summarize(m.latencies)
          rows.push([repo, concurrency, label, s.p50, s.p95, m.throughput, label.startsWith('raw') ? '—' : `${(((s.p50 - r.p50) / r.p50) * 100).toFixed(1)}%`])
        }
      }
      await session.release()
      await floorNode.stop()
    }
    ctx.printTable('Inference latency: raw onnxruntime vs the node over HTTP (ms)', ['model', 'conc.', 'path', 'p50', 'p95', 'req/s', 'p50 overhead'], rows)
  } finally {
    await node.stop()
  }
}
