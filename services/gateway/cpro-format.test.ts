import { describe, expect, test } from 'vitest'
import { cproDate, cproDateTime, declaredRoot, fluxState } from './cpro-format.js'

describe('Chorus Pro formats', () => {
  test('dates in French time: a date alone, and a date-time with milliseconds and the offset of the day (winter +01:00, summer +02:00)', () => {
    expect(cproDateTime(new Date('2018-02-16T14:10:25.536Z'))).toBe('2018-02-16T15:10:25.536+01:00')
    expect(cproDateTime(new Date('2026-07-01T09:00:00.007Z'))).toBe('2026-07-01T11:00:00.007+02:00')
    // 23:30 UTC on 31 December is already the new year in Paris.
    expect(cproDate(new Date('2025-12-31T23:30:00Z'))).toBe('2026-01-01')
    expect(cproDateTime(new Date('2025-12-31T23:30:00Z'))).toBe('2026-01-01T00:30:00.000+01:00')
    // The night the clocks go back: 00:30 UTC is 02:30 summer time, 01:30 UTC is 02:30 winter time.
    expect(cproDateTime(new Date('2026-10-25T00:30:00Z'))).toBe('2026-10-25T02:30:00.000+02:00')
    expect(cproDateTime(new Date('2026-10-25T01:30:00Z'))).toBe('2026-10-25T02:30:00.000+01:00')
  })

  test('the syntax a file says it is, from its first namespace', () => {
    expect(declaredRoot(Buffer.from('<?xml version="1.0"?>\n<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="x"/>'))).toBe('ubl-invoice')
    expect(declaredRoot(Buffer.from('<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"/>'))).toBe('ubl-creditnote')
    expect(declaredRoot(Buffer.from('<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>'))).toBe('cii')
    expect(declaredRoot(Buffer.from('<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>'))).toBeNull()
  })

  test('the hub\'s statuses as a flux state', () => {
    expect(fluxState('DEPOSEE')).toBe('IN_EN_COURS_TRAITEMENT_CPP')
    expect(fluxState('EN_ERREUR')).toBe('IN_EN_ATTENTE_RETRAITEMENT_CPP')
    expect(fluxState('REJETEE')).toBe('IN_REJETE')
    for (const s of ['MISE_A_DISPOSITION', 'A_RECYCLER', 'ECHEC_DISTRIBUTION', 'SERVICE_FAIT', 'MISE_EN_PAIEMENT']) expect(fluxState(s)).toBe('IN_INTEGRE')
  })
})
