import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseInline, parseMarkdown, safeHref, type Block, type Inline } from './markdown.ts'

const text = (nodes: Inline[]): string => nodes.map((n) => (n.type === 'text' || n.type === 'code' ? n.text : text(n.children))).join('')
const allLinks = (blocks: Block[]): string[] => {
  const out: string[] = []
  const walk = (nodes: Inline[]) => nodes.forEach((n) => { if (n.type === 'link') out.push(n.href); if ('children' in n) walk(n.children) })
  for (const b of blocks) {
    if (b.type === 'heading' || b.type === 'paragraph') walk(b.children)
    if (b.type === 'list') b.items.forEach(walk)
    if (b.type === 'quote') out.push(...allLinks(b.children))
  }
  return out
}

test('the sample model descriptions parse into paragraphs with inline code', () => {
  const blocks = parseMarkdown('A 4-16-3 MLP. Input `input` [batch, 4] float32.\n\nSecond paragraph\ncontinues here.')
  assert.equal(blocks.length, 2)
  assert.equal(blocks[0]!.type, 'paragraph')
  assert.deepEqual((blocks[0] as { children: Inline[] }).children[1], { type: 'code', text: 'input' })
  assert.equal(text((blocks[1] as { children: Inline[] }).children), 'Second paragraph continues here.')
})

test('headings, lists, fenced code, quotes, emphasis and links', () => {
  const blocks = parseMarkdown('# Title\n\n- one **bold**\n- two *em*\n\n1. first\n2. second\n\n```\n<b>raw</b>\n```\n\n> quoted [site](https://example.org)')
  assert.deepEqual(blocks.map((b) => b.type), ['heading', 'list', 'list', 'code', 'quote'])
  assert.equal((blocks[1] as { ordered: boolean }).ordered, false)
  assert.equal((blocks[2] as { ordered: boolean }).ordered, true)
  assert.deepEqual((blocks[1] as { items: Inline[][] }).items[0]![1], { type: 'strong', children: [{ type: 'text', text: 'bold' }] })
  assert.equal((blocks[3] as { text: string }).text, '<b>raw</b>')
  assert.deepEqual(allLinks(blocks), ['https://example.org'])
})

test('raw HTML stays text and dangerous links are dropped (their text kept)', () => {
  const blocks = parseMarkdown('<script>alert(1)</script> <img src=x onerror=alert(1)>\n\n[click](javascript:alert(1)) [d](data:text/html,x) [v](VBScript:x) [p](//evil.example) [ok](/models) [m](mailto:a@b.c)')
  assert.equal(text((blocks[0] as { children: Inline[] }).children), '<script>alert(1)</script> <img src=x onerror=alert(1)>')
  assert.deepEqual(allLinks(blocks), ['/models', 'mailto:a@b.c'])
  assert.match(text((blocks[1] as { children: Inline[] }).children), /^click d v p ok m$/)
  assert.equal(safeHref(' javascript:x'), null)
  assert.equal(safeHref('https://a.b/c d'), null)
  assert.equal(safeHref('#top'), '#top')
})

test('unclosed markers are plain text', () => {
  assert.deepEqual(parseInline('2 * 3 and a_b_c and `x'), [{ type: 'text', text: '2 * 3 and a_b_c and `x' }])
})
