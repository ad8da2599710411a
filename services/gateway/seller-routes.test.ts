import { describe, expect, test } from 'vitest'
import { parseSellers } from './seller-routes.js'
import { auditTarget, parseAuditQuery } from './audit.js'

describe('parseSellers', () => {
  test('normalises to lower case and removes duplicates', () => {
    expect(parseSellers({ sellers: ['0009:73282932000074', 'EM:Factures@Example.fr', '0009:73282932000074', 'em:factures@example.fr'] }))
      .toEqual({ ok: true, value: ['0009:73282932000074', 'em:factures@example.fr'] })
  })
  test.each([
    [{}, /`sellers` is required/],
    [{ sellers: '0009:73282932000074' }, /`sellers` is required/],
    [{ sellers: [42] }, /`sellers` is required/],
    [{ sellers: ['73282932000074'] }, /not an electronic address/],
    [{ sellers: ['0009:73282932000075'] }, /check key \(Luhn\)/],
  ])('%j is refused, saying why', (body, message) => {
    const out = parseSellers(body)
    expect(out.ok).toBe(false)
    expect(!out.ok && out.message).toMatch(message)
  })
  test('an empty list unbinds (the partner then sends for nobody)', () => {
    expect(parseSellers({ sellers: [] })).toEqual({ ok: true, value: [] })
  })
})

describe('audit', () => {
  test('the target is the route\'s path parameters', () => {
    expect(auditTarget({ id: 'p1', keyId: 'k1' })).toBe('id=p1 keyId=k1')
    expect(auditTarget({})).toBeNull()
  })
  test.each([
    [{}, { ok: true, limit: 100, before: null }],
    [{ limit: '5', before: '42' }, { ok: true, limit: 5, before: '42' }],
    [{ limit: '501' }, { ok: false, message: expect.stringContaining('1 to 500') }],
    [{ before: '-1' }, { ok: false, message: expect.stringContaining('nextBefore') }],
    [{ before: '1; DROP TABLE admin_audit' }, { ok: false, message: expect.stringContaining('nextBefore') }],
  ])('query %j', (query, expected) => {
    expect(parseAuditQuery(query)).toEqual(expected)
  })
})
