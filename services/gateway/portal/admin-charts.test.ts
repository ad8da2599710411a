// The health page's SVG charts: every number drawn is also said (the title) and carried (data-value), labels are
// escaped, bars scale to the largest, and nothing relies on inline style (the portal's CSP forbids it).
import { describe, expect, it } from 'vitest'
import { barChart, columnChart, niceCeiling, numbersTable } from './admin-charts.js'

const widths = (svg: string) => [...svg.matchAll(/<rect class="bar[^"]*" x="[^"]*" y="[^"]*" width="([^"]*)"/g)].map((m) => Number(m[1]))

describe('charts', () => {
  it('rounds an axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 10, 11, 24, 99, 101, 4999].map(niceCeiling)).toEqual([1, 1, 5, 10, 10, 20, 50, 100, 200, 5000])
  })

  it('draws one bar per row, the largest the widest, each with its key, value and label escaped', () => {
    const svg = barChart({ id: 'd', title: 'Documents', lang: 'en', bars: [
      { key: 'A', label: '<b>A</b> & co', value: 10, tone: 'ok' }, { key: 'B', label: 'B', value: 5 }, { key: 'C', label: 'C', value: 0, tone: 'error' },
    ] }).html
    expect(svg).toContain('role="img"')
    expect(svg).toContain('aria-labelledby="d-t"')
    expect(svg).toContain('<title id="d-t">Documents: &lt;b&gt;A&lt;/b&gt; &amp; co 10, B 5, C 0</title>')
    expect(svg).not.toContain('<b>')
    expect(svg).not.toMatch(/style=/)
    expect([...svg.matchAll(/data-key="([^"]*)" data-value="([^"]*)"/g)].map((m) => [m[1], Number(m[2])])).toEqual([['A', 10], ['B', 5], ['C', 0]])
    const [a, b, c] = widths(svg)
    expect(a).toBeCloseTo(2 * b!, 0)
    expect(c).toBe(0)
    expect(svg).toContain('class="bar ok"')
  })

  it('draws columns over time with round ticks and a label every few columns', () => {
    const bars = Array.from({ length: 24 }, (_, i) => ({ key: `h${i}`, label: `${i}:00`, value: i === 5 ? 7 : 0 }))
    const svg = columnChart({ id: 'p', title: 'Per hour', lang: 'fr', bars }).html
    expect(svg.match(/<rect /g)).toHaveLength(24)
    expect(svg).toContain('data-key="h5" data-value="7"')
    // The axis ends on 10 (7 rounded up), halfway at 5.
    expect(svg).toMatch(/>10<\/text>/)
    expect(svg).toMatch(/>5<\/text>/)
    expect(svg.match(/class="tick" x="[^"]*" y="192"/g)).toHaveLength(8)
    expect(svg).not.toMatch(/style=/)
  })

  it('writes the same numbers as a table with row headers', () => {
    const table = numbersTable({ id: 'd', caption: 'Documents', head: ['Status', 'Documents'], lang: 'fr', bars: [{ key: 'A', label: 'Déposée', value: 1234 }] }).html
    expect(table).toContain('<th scope="row">Déposée</th>')
    expect(table).toContain('data-value="1234"')
    expect(table).toMatch(/1\s234/)
  })
})
