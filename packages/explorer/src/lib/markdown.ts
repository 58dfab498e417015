/**
 * A small Markdown reader for model descriptions. It produces a tree, never HTML: the page renders the
 * tree as React elements, so raw HTML in a description shows as text and cannot run. Links keep only
 * http(s), mailto and same-site targets.
 *
 * Supported: ATX headings, paragraphs, bullet and numbered lists, fenced code, block quotes, inline
 * code, **strong**, *emphasis* / _emphasis_, [links](https://…).
 */
export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] }
export type Block =
  | { type: 'heading'; level: number; children: Inline[] }
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'list'; ordered: boolean; items: Inline[][] }
  | { type: 'code'; text: string }
  | { type: 'quote'; children: Block[] }

/** The link targets a description may use; anything else (javascript:, data:, vbscript:…) becomes text. */
export function safeHref(href: string): string | null {
  const h = href.trim()
  if (/[\s<>"'`]/.test(h)) return null
  if (/^(https?:\/\/|mailto:)/i.test(h)) return h
  if (/^(\/(?!\/)|#)/.test(h)) return h
  return null
}

export function parseInline(text: string): Inline[] {
  const out: Inline[] = []
  let buffer = ''
  const flush = () => {
    if (buffer) out.push({ type: 'text', text: buffer })
    buffer = ''
  }
  let i = 0
  while (i < text.length) {
    const rest = text.slice(i)
    let m: RegExpMatchArray | null
    if ((m = rest.match(/^`([^`]+)`/))) {
      flush(); out.push({ type: 'code', text: m[1]! })
    } else if ((m = rest.match(/^\*\*(.+?)\*\*/)) || (m = rest.match(/^__(.+?)__/))) {
      flush(); out.push({ type: 'strong', children: parseInline(m[1]!) })
    } else if ((m = rest.match(/^\*(?!\s)(.+?)\*/)) || (m = rest.match(/^_(?!\s)(.+?)_(?![A-Za-z0-9])/))) {
      flush(); out.push({ type: 'em', children: parseInline(m[1]!) })
    } else if ((m = rest.match(/^\[([^\]]+)\]\(((?:[^()\s]|\([^()\s]*\))*)\)/))) {
      flush()
      const href = safeHref(m[2]!)
      if (href) out.push({ type: 'link', href, children: parseInline(m[1]!) })
      else out.push(...parseInline(m[1]!))
    } else {
      buffer += text[i]
      i += 1
      continue
    }
    i += m[0].length
  }
  flush()
  return out
}

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n')
  const blocks: Block[] = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i]!
    if (line.trim() === '') { i++; continue }
    const fence = line.match(/^\s*(```|~~~)/)
    if (fence) {
      const body: string[] = []
      i++
      while (i < lines.length && !lines[i]!.trim().startsWith(fence[1]!)) body.push(lines[i++]!)
      i++
      blocks.push({ type: 'code', text: body.join('\n') })
      continue
    }
    const heading = line.match(/^(#{1,6})\s+(.*?)\s*#*\s*$/)
    if (heading) {
      blocks.push({ type: 'heading', level: heading[1]!.length, children: parseInline(heading[2]!) })
      i++
      continue
    }
    if (/^\s*>/.test(line)) {
      const body: string[] = []
      while (i < lines.length && /^\s*>/.test(lines[i]!)) body.push(lines[i++]!.replace(/^\s*>\s?/, ''))
      blocks.push({ type: 'quote', children: parseMarkdown(body.join('\n')) })
      continue
    }
    const item = /^\s*([-*+]|\d+[.)])\s+/
    if (item.test(line)) {
      const ordered = /^\s*\d/.test(line)
      const items: string[] = []
      while (i < lines.length && lines[i]!.trim() !== '') {
        const l = lines[i]!
        if (item.test(l)) items.push(l.replace(item, ''))
        else items[items.length - 1] += ` ${l.trim()}`
        i++
      }
      blocks.push({ type: 'list', ordered, items: items.map(parseInline) })
      continue
    }
    const body: string[] = []
    while (i < lines.length && lines[i]!.trim() !== '' && !/^(#{1,6}\s|\s*(```|~~~)|\s*>)/.test(lines[i]!) && !item.test(lines[i]!)) body.push(lines[i++]!.trim())
    blocks.push({ type: 'paragraph', children: parseInline(body.join(' ')) })
  }
  return blocks
}
