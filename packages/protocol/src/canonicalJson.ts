/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme): object keys sorted by UTF-16 code units,
 * no insignificant whitespace, numbers in ECMAScript shortest form, strings with the minimal escapes
 * JSON.stringify produces. Anything hashed as JSON in Verity goes through this one function.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, '$')
}

function serialize(value: unknown, path: string): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'string':
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`canonicalJson: ${path} is ${value}, which JSON cannot represent`)
      // RFC 8785 §3.2.2.3: ECMAScript Number serialization; -0 serializes as 0.
      return JSON.stringify(value)
    case 'bigint':
      throw new TypeError(`canonicalJson: ${path} is a bigint; encode it as a decimal string first`)
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item, i) => serialize(item, `${path}[${i}]`)).join(',')}]`
      if (ArrayBuffer.isView(value)) throw new TypeError(`canonicalJson: ${path} is a typed array; convert it to an array first`)
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${serialize(v, `${path}.${k}`)}`).join(',')}}`
    }
    default:
      throw new TypeError(`canonicalJson: ${path} has type ${typeof value}, which JSON cannot represent`)
  }
}
