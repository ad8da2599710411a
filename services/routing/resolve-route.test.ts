import { describe, expect, test } from 'vitest'
import { buyerAddress, resolveRoute } from './resolve-route.js'
import type { DocumentKeys } from '../../schemas/events.js'

const keys = (endpoint: DocumentKeys['buyer']['endpoint']): DocumentKeys => ({
  invoiceNumber: '1', issueDate: '2026-01-01', typeCode: '380', currency: 'EUR', customizationId: null, profileId: null,
  buyerReference: null, orderReference: null,
  seller: { name: null, legalId: null, vatId: null, endpoint: null },
  buyer: { name: null, legalId: null, vatId: null, endpoint },
  totals: { lineExtension: null, taxExclusive: null, taxTotal: null, taxInclusive: null, payable: null },
})
const mairie = { address: '0009:21750001600019', name: 'Mairie', endpoint: 'file:///srv/mairie' }

describe('routing by the buyer electronic address (BT-49)', () => {
  test('the directory key is scheme:value in lower case', () => {
    expect(buyerAddress(keys({ scheme: '9957', value: ' FR44732829320 ' }))).toBe('9957:fr44732829320')
  })

  test('a registered buyer is routed to its endpoint', () => {
    expect(resolveRoute(keys({ scheme: '0009', value: '21750001600019' }), mairie)).toEqual({ ok: true, recipient: mairie })
  })

  test('returns A_RECYCLER reasons naming BT-49 when the recipient is unknown', () => {
    const r = resolveRoute(keys({ scheme: '0009', value: '21750001600019' }), null)
    expect(r).toEqual({ ok: false, reasons: [expect.objectContaining({ code: 'RECIPIENT_UNKNOWN', field: 'BT-49' })] })
    expect(!r.ok && r.reasons[0]!.message).toContain('0009:21750001600019')
  })

  test.each([
    ['no endpoint', null],
    ['an endpoint without scheme', { scheme: null, value: '21750001600019' }],
    ['an empty endpoint', { scheme: '0009', value: '  ' }],
  ])('returns BUYER_ADDRESS_MISSING for %s', (_name, endpoint) => {
    expect(resolveRoute(keys(endpoint), null)).toEqual({ ok: false, reasons: [expect.objectContaining({ code: 'BUYER_ADDRESS_MISSING', field: 'BT-49' })] })
  })
})
