// A small layout kit for documents that flow over A4 pages: measured blocks (a height, and how to draw at a place)
// composed into stacks, columns and table rows, and a flow that places them top to bottom, starting a new page
// when a block does not fit and repeating a table's header row there. Measuring before drawing is what lets a
// block be kept whole on one page and the page count be known for the "1 / 3" footers, drawn last.
import { rgb, type PDFDocument, type PDFFont, type PDFPage, type RGB } from '@cantoo/pdf-lib'
import { printable } from './fonts.js'

export const A4: [number, number] = [595.28, 841.89]

export type TextStyle = { font: PDFFont; size: number; color: RGB }
export type Align = 'left' | 'right' | 'center'

/** What can be placed: its height, and a drawing at (x, top), top being the upper edge in PDF user space. */
export type Block = { height: number; draw(page: PDFPage, x: number, top: number): void }

export const lineHeight = (style: TextStyle) => style.size * 1.3
// The baseline of a line sits this far under its top: DejaVu's ascender is 0.93 em, the rest is leading.
const baseline = (style: TextStyle) => style.size * 1.05

export const empty: Block = { height: 0, draw: () => {} }
export const spacer = (height: number): Block => ({ height, draw: () => {} })

/** Lines of text, each cut to `width` (a line too long is wrapped at spaces, or inside a word when it must). */
export function text(content: string | string[], style: TextStyle, width: number, align: Align = 'left'): Block {
  const lines = (Array.isArray(content) ? content : [content]).flatMap((line) => wrap(printable(style.font, line), style, width))
  return {
    height: lines.length * lineHeight(style),
    draw(page, x, top) {
      lines.forEach((line, i) => {
        const w = style.font.widthOfTextAtSize(line, style.size)
        const dx = align === 'right' ? width - w : align === 'center' ? (width - w) / 2 : 0
        page.drawText(line, { x: x + dx, y: top - i * lineHeight(style) - baseline(style), font: style.font, size: style.size, color: style.color })
      })
    },
  }
}

/** `line` as the lines that fit in `width`. */
export function wrap(line: string, style: TextStyle, width: number): string[] {
  const fits = (s: string) => style.font.widthOfTextAtSize(s, style.size) <= width
  if (fits(line)) return [line]
  const out: string[] = []
  let current = ''
  for (const word of line.split(/ +/)) {
    const candidate = current ? `${current} ${word}` : word
    if (fits(candidate)) { current = candidate; continue }
    if (current) out.push(current)
    current = word
    // A word wider than the column (an IBAN, a URL) is cut where it must be.
    while (!fits(current)) {
      let cut = current.length - 1
      while (cut > 1 && !fits(current.slice(0, cut))) cut--
      out.push(current.slice(0, cut))
      current = current.slice(cut)
    }
  }
  if (current) out.push(current)
  return out
}

/** Blocks one under the other. */
export function stack(blocks: Block[], gap = 0): Block {
  const shown = blocks.filter((b) => b.height > 0)
  return {
    height: shown.reduce((sum, b) => sum + b.height, 0) + gap * Math.max(0, shown.length - 1),
    draw(page, x, top) {
      let y = top
      for (const b of shown) { b.draw(page, x, y); y -= b.height + gap }
    },
  }
}

/** Blocks side by side, each at its offset from the left; as tall as the tallest. */
export function columns(parts: { block: Block; offset: number }[]): Block {
  return {
    height: Math.max(0, ...parts.map((p) => p.block.height)),
    draw(page, x, top) { for (const p of parts) p.block.draw(page, x + p.offset, top) },
  }
}

export type Box = { width: number; padding: number; fill?: RGB; border?: RGB }

/** A block inside a box: padded, on a background, framed. */
export function boxed(block: Block, box: Box): Block {
  return {
    height: block.height + 2 * box.padding,
    draw(page, x, top) {
      const height = block.height + 2 * box.padding
      if (box.fill || box.border) {
        page.drawRectangle({
          x, y: top - height, width: box.width, height,
          ...(box.fill ? { color: box.fill } : {}),
          ...(box.border ? { borderColor: box.border, borderWidth: 0.5 } : {}),
        })
      }
      block.draw(page, x + box.padding, top - box.padding)
    },
  }
}

/** A horizontal rule across `width`. */
export function rule(width: number, color: RGB, thickness = 0.5): Block {
  return {
    height: thickness,
    draw(page, x, top) { page.drawLine({ start: { x, y: top - thickness / 2 }, end: { x: x + width, y: top - thickness / 2 }, thickness, color }) },
  }
}

/** A cell's text; `note` is a second text under it, in its own style (a line's description under its name). */
export type Cell = { text: string | string[]; style: TextStyle; align?: Align; note?: { text: string; style: TextStyle } }
export type RowStyle = { padding: number; fill?: RGB; rule?: RGB }

/** A table row: cells in columns of the given widths, padded, on an optional background with a rule under it. */
export function row(cells: Cell[], widths: number[], style: RowStyle): Block {
  const inner = cells.map((cell, i) => {
    const width = widths[i]! - 2 * style.padding
    const main = text(cell.text, cell.style, width, cell.align)
    return cell.note ? stack([main, spacer(1), text(cell.note.text, cell.note.style, width, cell.align)]) : main
  })
  const height = Math.max(...inner.map((b) => b.height)) + 2 * style.padding
  const total = widths.reduce((a, b) => a + b, 0)
  return {
    height,
    draw(page, x, top) {
      if (style.fill) page.drawRectangle({ x, y: top - height, width: total, height, color: style.fill })
      let cx = x
      inner.forEach((block, i) => { block.draw(page, cx + style.padding, top - style.padding); cx += widths[i]! })
      if (style.rule) page.drawLine({ start: { x, y: top - height }, end: { x: x + total, y: top - height }, thickness: 0.4, color: style.rule })
    },
  }
}

// ---- the flow over pages ----

export type Margins = { top: number; right: number; bottom: number; left: number }

export type Flow = {
  doc: PDFDocument
  margins: Margins
  pages: PDFPage[]
  page: PDFPage
  y: number
  /** Where the content of the current page starts (under its running header): a page with y = top is empty. */
  top: number
  /** Draws what every page after the first starts with (a running header); returns its height. */
  continuation: (page: PDFPage, flow: Flow) => number
}

export const contentWidth = (flow: Pick<Flow, 'margins'>) => A4[0] - flow.margins.left - flow.margins.right

/** A flow on a first, empty page. */
export function startFlow(doc: PDFDocument, margins: Margins, continuation: Flow['continuation']): Flow {
  const page = doc.addPage(A4)
  return { doc, margins, pages: [page], page, y: A4[1] - margins.top, top: A4[1] - margins.top, continuation }
}

export function newPage(flow: Flow): void {
  flow.page = flow.doc.addPage(A4)
  flow.pages.push(flow.page)
  flow.y = A4[1] - flow.margins.top
  flow.y -= flow.continuation(flow.page, flow)
  flow.top = flow.y
}

const room = (flow: Flow) => flow.y - flow.margins.bottom

/** Places `block` whole, on a new page when it does not fit here (a block taller than a page is placed anyway). */
export function place(flow: Flow, block: Block, gapAfter = 0): void {
  if (block.height > room(flow) && flow.y < flow.top) newPage(flow)
  block.draw(flow.page, flow.margins.left, flow.y)
  flow.y -= block.height + gapAfter
}

/**
 * Places a table: `lead` (a title) kept with the header and the first row; the header row repeated at the top of
 * every page the rows run onto.
 */
export function placeTable(flow: Flow, lead: Block, header: Block, rows: Block[], gapAfter = 0): void {
  place(flow, stack([lead, header, rows[0] ?? empty]))
  for (const r of rows.slice(1)) {
    if (r.height > room(flow)) {
      newPage(flow)
      place(flow, header)
    }
    place(flow, r)
  }
  flow.y -= gapAfter
}

export const grey = (level: number) => rgb(level, level, level)
