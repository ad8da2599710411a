import { describe, expect, test } from 'vitest'
import type { Finding } from './events.js'
import { capFindings, FINDING_FIELD_LIMITS, FINDINGS_BUDGET_BYTES, MAX_EVENT_FINDINGS, TRUNCATED_RULE } from './event-limits.js'

const finding = (ruleId: string, severity: Finding['severity'] = 'fatal', message = `${ruleId} failed`): Finding =>
  ({ ruleId, severity, location: '/Invoice[1]/cac:InvoiceLine[1]', message, pack: 'en16931', packVersion: '1.3.16', line: 12 })

describe('capFindings', () => {
  test('a short list passes unchanged', () => {
    const all = [finding('BR-CO-15'), finding('BR-S-08', 'warning')]
    expect(capFindings(all)).toEqual({ findings: all, total: 2, truncated: false })
  })

  test('over the count: fatal first, at most 500 including the summary, which counts every rule', () => {
    const all = [
      ...Array.from({ length: 700 }, () => finding('PEPPOL-R120', 'warning')),
      ...Array.from({ length: 400 }, () => finding('BR-25')),
      finding('BR-CO-15'),
    ]
    const { findings, total, truncated } = capFindings(all)
    expect(truncated).toBe(true)
    expect(total).toBe(1101)
    expect(findings).toHaveLength(MAX_EVENT_FINDINGS)
    expect(findings.slice(0, 401).every((f) => f.severity === 'fatal')).toBe(true)
    expect(findings.filter((f) => f.ruleId === 'BR-CO-15')).toHaveLength(1)
    const summary = findings.at(-1)!
    expect(summary).toMatchObject({ ruleId: TRUNCATED_RULE, severity: 'information' })
    expect(summary.message).toContain('1101 findings in all (401 fatal, 700 warning); 499 are listed here')
    expect(summary.message).toContain('PEPPOL-R120 ×700, BR-25 ×400, BR-CO-15 ×1')
  })

  test('over the byte budget: long messages are clipped and the list stops within the budget', () => {
    const huge = 'é'.repeat(50_000)
    const all = Array.from({ length: 400 }, (_, i) => ({ ...finding(`R-${i}`, 'fatal', huge), location: '/x'.repeat(10_000) }))
    const { findings, truncated } = capFindings(all)
    expect(truncated).toBe(true)
    expect(findings.every((f) => f.message.length <= FINDING_FIELD_LIMITS.message && f.location.length <= FINDING_FIELD_LIMITS.location)).toBe(true)
    const bytes = findings.reduce((s, f) => s + Buffer.byteLength(JSON.stringify(f)), 0)
    expect(bytes).toBeLessThanOrEqual(FINDINGS_BUDGET_BYTES)
    expect(findings.length).toBeGreaterThan(50)
  })

  test('a clipped field ends with an ellipsis so a reader sees it was cut', () => {
    const [f] = capFindings([finding('BR-1', 'fatal', 'x'.repeat(3_000))]).findings
    expect(f!.message).toHaveLength(FINDING_FIELD_LIMITS.message)
    expect(f!.message.endsWith('…')).toBe(true)
  })
})
