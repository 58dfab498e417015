import type { ReactNode } from 'react'
import { parseMarkdown, type Block, type Inline } from '../lib/markdown.ts'

// The tree becomes React elements, which escape all text: a description can never inject HTML.
function inline(nodes: Inline[]): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.type) {
      case 'text': return n.text
      case 'code': return <code key={i}>{n.text}</code>
      case 'strong': return <strong key={i}>{inline(n.children)}</strong>
      case 'em': return <em key={i}>{inline(n.children)}</em>
      case 'link': return <a key={i} href={n.href} rel="noopener noreferrer nofollow">{inline(n.children)}</a>
    }
  })
}

function block(b: Block, i: number, headingOffset: number): ReactNode {
  switch (b.type) {
    case 'heading': {
      const level = Math.min(6, b.level + headingOffset)
      const H = `h${level}` as 'h3'
      return <H key={i}>{inline(b.children)}</H>
    }
    case 'paragraph': return <p key={i}>{inline(b.children)}</p>
    case 'code': return <pre key={i}><code>{b.text}</code></pre>
    case 'quote': return <blockquote key={i}>{b.children.map((c, j) => block(c, j, headingOffset))}</blockquote>
    case 'list': {
      const items = b.items.map((item, j) => <li key={j}>{inline(item)}</li>)
      return b.ordered ? <ol key={i}>{items}</ol> : <ul key={i}>{items}</ul>
    }
  }
}

export function Markdown({ source, headingOffset = 2 }: { source: string; headingOffset?: number }) {
  return <div className="markdown">{parseMarkdown(source).map((b, i) => block(b, i, headingOffset))}</div>
}
