/** JSON schemas at the edge: every route validates its input and serializes only declared fields. */
const hex32 = { type: 'string', pattern: '^0x[0-9a-f]{64}$' } as const
const dim = { anyOf: [{ type: 'integer' }, { type: 'string' }, { type: 'null' }] } as const

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true }, hint: { type: 'string' } }, required: ['code', 'message'] } },
} as const

const errors = { '4xx': errorSchema, '5xx': errorSchema } as const

export const tensorSpecSchema = { type: 'object', properties: { name: { type: 'string' }, dtype: { type: ['string', 'null'] }, shape: { anyOf: [{ type: 'array', items: dim }, { type: 'null' }] } } } as const
export const ioSchemaSchema = {
  anyOf: [{ type: 'null' }, {
    type: 'object',
    properties: {
      inputs: { type: 'array', items: tensorSpecSchema }, outputs: { type: 'array', items: tensorSpecSchema }, operators: { type: 'array', items: { type: 'string' } },
      parameterCount: { type: 'integer' }, opsets: { type: 'array', items: { type: 'object', properties: { domain: { type: 'string' }, version: { type: 'integer' } } } },
    },
  }],
} as const

export const repositorySchema = {
  type: 'object',
  properties: {
    owner: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' }, task: { type: 'string' }, license: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } }, visibility: { type: 'string', enum: ['public', 'private'] }, createdAt: { type: 'string' }, updatedAt: { type: 'string' },
    downloads: { type: 'integer' }, latestRelease: { type: ['string', 'null'] },
  },
} as const
export const fileSchema = { type: 'object', properties: { path: { type: 'string' }, cid: { type: 'string' }, size: { type: 'integer' }, mediaType: { type: 'string' }, schema: ioSchemaSchema } } as const
export const releaseSchema = {
  type: 'object',
  properties: { release: { type: 'string' }, published: { type: 'boolean' }, createdAt: { type: 'string' }, publishedAt: { type: ['string', 'null'] }, files: { type: 'array', items: fileSchema }, vkHash: { type: ['string', 'null'] } },
} as const
export const modelCardSchema = { type: 'object', properties: { ...repositorySchema.properties, releases: { type: 'array', items: releaseSchema } } } as const

const tensorJson = { type: 'object', properties: { dtype: { type: 'string' }, shape: { type: 'array', items: { type: 'integer' } }, data: { type: 'array' }, base64: { type: 'string' } }, required: ['dtype', 'shape'] } as const
const tensorMapJson = { type: 'object', additionalProperties: tensorJson } as const
export const receiptSchema = {
  type: 'object',
  properties: {
    requestId: hex32, modelDigest: hex32, inputHash: hex32, outputHash: hex32, mode: { type: 'string', enum: ['VANILLA', 'ZKML', 'TEE', 'QUORUM'] },
    proofHash: hex32, node: { type: 'string' }, timestamp: { type: 'integer' }, chainId: { type: 'integer' },
  },
  required: ['requestId', 'modelDigest', 'inputHash', 'outputHash', 'mode', 'proofHash', 'node', 'timestamp', 'chainId'],
} as const
export const resultSchema = {
  type: 'object',
  properties: {
    version: { type: 'integer' }, model: { type: 'string' }, input: tensorMapJson, output: tensorMapJson, receipt: receiptSchema, signature: { type: 'string' },
    proof: {}, source: { type: 'object', properties: { node: { type: 'string' }, ref: { type: 'string' } } },
    settlement: { type: 'object', additionalProperties: true, properties: { mode: { type: 'string' } } },
  },
} as const

const repoParams = { type: 'object', properties: { owner: { type: 'string' }, name: { type: 'string' } }, required: ['owner', 'name'] } as const
const releaseParams = { type: 'object', properties: { ...repoParams.properties, release: { type: 'string' } }, required: ['owner', 'name', 'release'] } as const

export const routes = {
  health: {
    tags: ['node'], summary: 'Node status, signer address and supported modes',
    response: { 200: { type: 'object', properties: { status: { type: 'string' }, version: { type: 'string' }, address: { type: 'string' }, chainId: { type: 'integer' }, modes: { type: 'array', items: { type: 'string' } }, uptimeSeconds: { type: 'number' }, models: { type: 'integer' }, network: { type: 'object', additionalProperties: true } } } },
  },
  createRepository: {
    tags: ['hub'], summary: 'Create a model repository',
    body: {
      type: 'object', additionalProperties: false, required: ['owner', 'name'],
      properties: {
        owner: { type: 'string' }, name: { type: 'string' }, description: { type: 'string', maxLength: 200_000 }, task: { type: 'string', maxLength: 100 },
        license: { type: 'string', maxLength: 100 }, tags: { type: 'array', items: { type: 'string', maxLength: 50 }, maxItems: 50 }, visibility: { type: 'string', enum: ['public', 'private'] },
      },
    },
    response: { 201: repositorySchema, ...errors },
  },
  modelCard: { tags: ['hub'], summary: 'Model card: description, releases, files with CIDs and input/output schema', params: repoParams, response: { 200: modelCardSchema, ...errors } },
  createRelease: {
    tags: ['hub'], summary: 'Create a draft release MAJOR.MINOR', params: repoParams,
    body: { type: 'object', additionalProperties: false, required: ['release'], properties: { release: { type: 'string' }, notes: { type: 'string', maxLength: 100_000 } } },
    response: { 201: releaseSchema, ...errors },
  },
  publishRelease: { tags: ['hub'], summary: 'Publish a release (immutable afterwards)', params: releaseParams, response: { 200: releaseSchema, ...errors } },
  uploadFile: {
    tags: ['hub'], summary: 'Upload a file into a draft release (raw body, application/octet-stream; optional x-expected-cid header)',
    params: { type: 'object', properties: { ...releaseParams.properties, '*': { type: 'string' } } },
    response: { 201: fileSchema, ...errors },
  },
  listFiles: { tags: ['hub'], summary: 'Files of a release', params: releaseParams, response: { 200: { type: 'array', items: fileSchema }, ...errors } },
  download: { tags: ['hub'], summary: 'Download a blob by CID (bytes re-verified against the CID)', params: { type: 'object', properties: { cid: { type: 'string' } }, required: ['cid'] } },
  search: {
    tags: ['hub'], summary: 'Search models by text, task, tags and owner',
    querystring: {
      type: 'object', additionalProperties: false,
      properties: {
        q: { type: 'string', maxLength: 500 }, task: { type: 'string' }, tags: { type: 'string' }, owner: { type: 'string' },
        sort: { type: 'string', enum: ['relevance', 'name', 'updated', 'downloads'] }, limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 }, cursor: { type: 'string' },
      },
    },
    response: { 200: { type: 'object', properties: { items: { type: 'array', items: repositorySchema }, nextCursor: { type: ['string', 'null'] } } }, ...errors },
  },
  infer: {
    tags: ['inference'], summary: 'Run a model; returns the output with a signed receipt',
    description: 'JSON, or a binary message (content type application/vnd.verity.vrb1: "VRB1", u32 head length, the head JSON without input/encoding, the input as a VTS1 tensor set), answered in kind without echoing the input. See @verity/protocol binaryMessage.ts.',
    body: {
      type: 'object', additionalProperties: false, required: ['model', 'input'],
      properties: {
        model: { type: 'string', description: 'CID, owner/name or owner/name@1.02' }, input: { type: 'object' },
        mode: { type: 'string', enum: ['vanilla', 'zkml', 'tee', 'quorum'], default: 'vanilla' }, requestId: hex32, timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000 },
        encoding: { type: 'string', enum: ['json', 'base64'], default: 'json' },
        async: { type: 'boolean', description: 'mode zkml: answer 202 with a proof id at once (poll GET /v1/proofs/:id)' },
        settlement: { type: 'string', enum: ['private', 'batch', 'individual'], description: 'private: never posted; batch (default): the Merkle batch queue; individual: settled alone on chain before the answer' },
      },
    },
    response: { 200: resultSchema, 202: { type: 'object', properties: { status: { type: 'string' }, id: { type: 'string' }, statusUrl: { type: 'string' } } }, ...errors },
  },
  attestation: {
    tags: ['node'],
    summary: "This node's TEE attestation: evidence binding its signing key (report data = bindingFor(node)), the measurement hash registered on chain, and the digest its TEE receipts carry as proofHash. Re-attested every teeRefreshSeconds; 404 TEE_NOT_CONFIGURED on nodes without a TEE.",
    response: {
      200: {
        type: 'object', required: ['node', 'provider', 'measurement', 'digest', 'evidence'],
        properties: {
          node: { type: 'string' }, provider: { type: 'string', enum: ['nitro', 'tdx', 'sev-snp', 'dev'] }, measurement: hex32, digest: hex32,
          evidence: { type: 'object', additionalProperties: true, properties: { kind: { type: 'string' } }, required: ['kind'] },
        },
      },
      ...errors,
    },
  },
  receipt: {
    tags: ['inference'], summary: 'A receipt this node issued, by id (its EIP-712 digest)', params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    response: { 200: { type: 'object', properties: { id: { type: 'string' }, model: { type: 'string' }, receipt: receiptSchema, signature: { type: 'string' }, createdAt: { type: 'string' }, input: tensorMapJson, output: tensorMapJson, proof: {} } }, ...errors },
  },
} as const
