import { describe, expect, test } from 'vitest'
import { encodeCursor, parseFilters, whereClause } from './dashboard.js'

describe('dashboard filters', () => {
  test('defaults', () => {
    expect(parseFilters({})).toEqual({ ok: true, value: { status: [], direction: null, counterpart: null, from: null, to: null, cursor: null, limit: 50 } })
  })

  test('everything at once; a date alone covers the whole day', () => {
    const cursor = encodeCursor(new Date('2026-11-20T10:00:00Z'), '9f0c0f5e-3f3b-4b8e-9d57-0d0c2a1c1e11')
    const f = parseFilters({ status: 'APPROUVEE,REFUSEE', direction: 'received', counterpart: '0009:21750999100014', from: '2026-11-01', to: '2026-11-30', cursor, limit: '10' })
    expect(f).toEqual({ ok: true, value: {
      status: ['APPROUVEE', 'REFUSEE'], direction: 'received', counterpart: '0009:21750999100014',
      from: new Date('2026-11-01T00:00:00.000Z'), to: new Date('2026-11-30T23:59:59.999Z'),
      cursor: { receivedAt: '2026-11-20T10:00:00.000Z', id: '9f0c0f5e-3f3b-4b8e-9d57-0d0c2a1c1e11' }, limit: 10,
    } })
  })

  test.each([
    [{ status: 'PAYEE' }, 'unknown status PAYEE'],
    [{ direction: 'both' }, '`direction` is sent or received'],
    [{ counterpart: 'nope' }, '`counterpart`'],
    [{ from: 'yesterday' }, '`from` must be a date'],
    [{ cursor: 'abc' }, '`cursor` is not one this API gave'],
    [{ limit: '500' }, '`limit` is a whole number from 1 to 200'],
  ])('%j is refused', (query, message) => {
    expect(parseFilters(query)).toMatchObject({ ok: false, message: expect.stringContaining(message) })
  })

  test('received documents are those delivered to the partner\'s addresses, never the undelivered ones', () => {
    const { sql, params } = whereClause('p1', { status: [], direction: 'received', counterpart: null, from: null, to: null })
    expect(sql).toContain('d.recipient_address IN (SELECT address FROM partner_addresses WHERE partner_id = $1) AND d.status <> ALL($2)')
    expect(sql).not.toContain('d.partner_id = $1')
    expect(params[1]).toEqual(['DEPOSEE', 'REJETEE', 'A_RECYCLER', 'ECHEC_DISTRIBUTION', 'EN_ERREUR', 'RELANCEE'])
  })

  test('parameters are numbered in order of the filters', () => {
    const { sql, params } = whereClause('p1', { status: ['APPROUVEE'], direction: 'sent', counterpart: null, from: new Date(0), to: null })
    expect(sql).toBe('d.partner_id = $1 AND d.status = ANY($2) AND d.received_at >= $3')
    expect(params).toHaveLength(3)
  })
})
