// Charts of the health page, drawn on the server as SVG: no chart library, no script, no inline style (the
// Content-Security-Policy allows neither; colours come from portal.css by class). Each chart is one image to
// assistive technology (role="img", its <title> says every number), and the page puts the same numbers in a
// table beside it. Every bar carries data-key and data-value, which the browser tests compare with PostgreSQL.
import { html, type Html } from './html.js'

export type Tone = 'neutral' | 'ok' | 'error' | 'warn'
export type Bar = { key: string; label: string; value: number; tone?: Tone }

const fmt = (n: number, lang: string) => new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 1 }).format(n)
const r1 = (n: number) => Math.round(n * 10) / 10

/** The smallest of 1, 2, 5 × 10^k at or above `n` (an axis that ends on a round number). */
export function niceCeiling(n: number): number {
  if (n <= 1) return 1
  const p = 10 ** Math.floor(Math.log10(n))
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= n)!
}

/** What the chart's title says to a screen reader: the title, then each label with its number. */
export const spoken = (title: string, bars: Bar[], lang: string) => `${title}: ${bars.map((b) => `${b.label} ${fmt(b.value, lang)}`).join(', ')}`

/** Horizontal bars, one per row, the label on the left and the number at the end of the bar. */
export function barChart(p: { id: string; title: string; bars: Bar[]; lang: string }): Html {
  const width = 420
  const labelWidth = 170
  const valueRoom = 56
  const area = width - labelWidth - 8 - valueRoom
  const row = 24
  const height = Math.max(1, p.bars.length) * row + 8
  const max = Math.max(1, ...p.bars.map((b) => b.value))
  return html`<svg class="chart-svg" role="img" aria-labelledby="${p.id}-t" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" data-chart="${p.id}" xmlns="http://www.w3.org/2000/svg">
<title id="${p.id}-t">${spoken(p.title, p.bars, p.lang)}</title>
<line class="axis" x1="${labelWidth + 4}" y1="2" x2="${labelWidth + 4}" y2="${height - 4}"></line>
${p.bars.map((b, i) => {
    const y = 6 + i * row
    const w = b.value === 0 ? 0 : Math.max(2, r1((b.value / max) * area))
    return html`<g>
<text class="label" x="${labelWidth}" y="${y + 13}" text-anchor="end">${b.label}</text>
<rect class="bar ${b.tone ?? 'neutral'}" x="${labelWidth + 5}" y="${y + 1}" width="${w}" height="16" data-key="${b.key}" data-value="${b.value}"></rect>
<text class="value" x="${labelWidth + 9 + w}" y="${y + 13}">${fmt(b.value, p.lang)}</text>
</g>`
  })}
</svg>`
}

/** Columns over time (e.g. one per hour): a y axis with three round ticks, x labels every `labelEvery` columns. */
export function columnChart(p: { id: string; title: string; bars: Bar[]; lang: string; labelEvery?: number }): Html {
  const width = 480
  const height = 200
  const left = 36
  const bottom = 26
  const top = 10
  const plotW = width - left - 6
  const plotH = height - top - bottom
  const top0 = niceCeiling(Math.max(1, ...p.bars.map((b) => b.value)))
  const slot = plotW / Math.max(1, p.bars.length)
  const every = p.labelEvery ?? 3
  const ticks = [0, top0 / 2, top0]
  return html`<svg class="chart-svg" role="img" aria-labelledby="${p.id}-t" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" data-chart="${p.id}" xmlns="http://www.w3.org/2000/svg">
<title id="${p.id}-t">${spoken(p.title, p.bars, p.lang)}</title>
${ticks.map((t) => {
    const y = r1(top + plotH - (t / top0) * plotH)
    return html`<line class="grid" x1="${left}" y1="${y}" x2="${width - 4}" y2="${y}"></line><text class="tick" x="${left - 4}" y="${y + 4}" text-anchor="end">${fmt(t, p.lang)}</text>`
  })}
${p.bars.map((b, i) => {
    const h = b.value === 0 ? 0 : Math.max(1, r1((b.value / top0) * plotH))
    const x = r1(left + i * slot + slot * 0.15)
    return html`<rect class="bar ${b.tone ?? 'neutral'}" x="${x}" y="${r1(top + plotH - h)}" width="${r1(slot * 0.7)}" height="${h}" data-key="${b.key}" data-value="${b.value}"></rect>${
      i % every === 0 ? html`<text class="tick" x="${r1(left + i * slot + slot / 2)}" y="${height - 8}" text-anchor="middle">${b.label}</text>` : ''}`
  })}
<line class="axis" x1="${left}" y1="${top + plotH}" x2="${width - 4}" y2="${top + plotH}"></line>
</svg>`
}

/** The chart's numbers as a table (for screen readers, and for anyone who wants the exact figures). */
export function numbersTable(p: { id: string; caption: string; head: [string, string]; bars: Bar[]; lang: string }): Html {
  return html`<table class="numbers" data-numbers="${p.id}"><caption class="visually-hidden">${p.caption}</caption>
<thead><tr><th scope="col">${p.head[0]}</th><th scope="col" class="num">${p.head[1]}</th></tr></thead>
<tbody>${p.bars.map((b) => html`<tr data-key="${b.key}"><th scope="row">${b.label}</th><td class="num" data-value="${b.value}">${fmt(b.value, p.lang)}</td></tr>`)}</tbody></table>`
}
