import { describe, expect, test } from 'vitest'
import { buyerAddress, buyerSiret, resolveRoute, senderAllowed, MAILBOX_ENDPOINT, PEPPOL_ENDPOINT, type Structure } from './resolve-route.js'
import type { DocumentKeys } from '../../schemas/events.js'

type Buyer = Partial<Pick<DocumentKeys['buyer'], 'endpoint' | 'legalId'>>
const keys = (buyer: Buyer, more: Partial<DocumentKeys> = {}): DocumentKeys => ({
  invoiceNumber: '1', issueDate: '2026-01-01', typeCode: '380', currency: 'EUR', customizationId: null, profileId: null,
  buyerReference: null, orderReference: null,
  seller: { name: null, legalId: null, vatId: null, endpoint: null },
  buyer: { name: null, legalId: buyer.legalId ?? null, vatId: null, endpoint: buyer.endpoint ?? null },
  totals: { lineExtension: null, taxExclusive: null, taxTotal: null, taxInclusive: null, payable: null },
  ...more,
})
const SIRET = '21750999100014'
const atSiret: Buyer = { endpoint: { scheme: '0009', value: SIRET } }
const partner = { address: '0088:5790000435975', name: 'Grossiste', endpoint: 'file:///srv/grossiste' }
const structure = (s: Partial<Structure> = {}): Structure => ({
  siret: SIRET, name: 'Commune de Saint-Exemple', active: true, commitmentRequired: false, serviceRequired: false, endpoint: 'file:///srv/mairie',
  services: [{ code: 'SERV-FIN', active: true, commitmentRequired: false }, { code: 'SERV-RH', active: false, commitmentRequired: false }, { code: 'SERV-TX', active: true, commitmentRequired: true }],
  ...s,
})
const reasons = (r: ReturnType<typeof resolveRoute>) => (r.ok ? [] : r.reasons.map((x) => [x.code, x.field]))

describe('B2B: by the buyer electronic address (BT-49)', () => {
  test('the directory key is scheme:value in lower case', () => {
    expect(buyerAddress(keys({ endpoint: { scheme: '9957', value: ' FR44732829320 ' } }))).toBe('9957:fr44732829320')
  })

  test('a registered buyer is routed to its endpoint', () => {
    expect(resolveRoute(keys({ endpoint: { scheme: '0088', value: '5790000435975' } }), { structure: null, recipient: partner }))
      .toEqual({ ok: true, recipient: { ...partner, serviceCode: null } })
  })

  test('with Peppol on, a buyer this hub does not serve is sent over the network; local recipients and structures first', () => {
    const peppol = { peppol: true }
    expect(resolveRoute(keys({ endpoint: { scheme: '0088', value: '5790000435975' } }), { structure: null, recipient: null }, peppol))
      .toEqual({ ok: true, recipient: { address: '0088:5790000435975', name: 'Peppol participant 0088:5790000435975', endpoint: PEPPOL_ENDPOINT, serviceCode: null } })
    expect(resolveRoute(keys({ endpoint: { scheme: '0088', value: '5790000435975' } }), { structure: null, recipient: partner }, peppol))
      .toEqual({ ok: true, recipient: { ...partner, serviceCode: null } })
    expect(resolveRoute(keys(atSiret), { structure: structure(), recipient: null }, peppol)).toMatchObject({ ok: true, recipient: { endpoint: 'file:///srv/mairie' } })
    // Not a Peppol participant id (an EAS code like EM, not four digits): still A_RECYCLER.
    expect(reasons(resolveRoute(keys({ endpoint: { scheme: 'EM', value: 'a@b.c' } }), { structure: null, recipient: null }, peppol))).toEqual([['RECIPIENT_UNKNOWN', 'BT-49']])
  })

  test('an unknown address is A_RECYCLER naming BT-49', () => {
    const r = resolveRoute(keys({ endpoint: { scheme: '0088', value: '1' } }), { structure: null, recipient: null })
    expect(reasons(r)).toEqual([['RECIPIENT_UNKNOWN', 'BT-49']])
  })

  test.each([
    ['no endpoint', null],
    ['an endpoint without scheme', { scheme: null, value: SIRET }],
    ['an empty endpoint', { scheme: '0088', value: '  ' }],
  ])('BUYER_ADDRESS_MISSING for %s', (_name, endpoint) => {
    expect(reasons(resolveRoute(keys({ endpoint }), { structure: null, recipient: null }))).toEqual([['BUYER_ADDRESS_MISSING', 'BT-49']])
  })
})

describe('B2G: to a public structure by SIRET, service code and commitment number', () => {
  test('the SIRET comes from BT-49 first, then BT-47', () => {
    expect(buyerSiret(keys(atSiret))).toEqual({ siret: SIRET, field: 'BT-49' })
    expect(buyerSiret(keys({ legalId: { scheme: '0009', value: SIRET }, endpoint: { scheme: '0088', value: '1' } }))).toEqual({ siret: SIRET, field: 'BT-47' })
    expect(buyerSiret(keys({ legalId: { scheme: '0002', value: '217509991' } }))).toBeNull()
  })

  test('to the structure, and to the service named by the buyer reference (BT-10)', () => {
    expect(resolveRoute(keys(atSiret), { structure: structure(), recipient: null }))
      .toEqual({ ok: true, recipient: { address: `0009:${SIRET}`, name: 'Commune de Saint-Exemple', endpoint: 'file:///srv/mairie', serviceCode: null } })
    const r = resolveRoute(keys(atSiret, { buyerReference: 'SERV-FIN' }), { structure: structure(), recipient: null })
    expect(r.ok && r.recipient.serviceCode).toBe('SERV-FIN')
  })

  test('a structure without endpoint keeps documents in the hub', () => {
    const r = resolveRoute(keys(atSiret), { structure: structure({ endpoint: null }), recipient: null })
    expect(r.ok && r.recipient.endpoint).toBe(MAILBOX_ENDPOINT)
  })

  test('a structure with no services ignores the buyer reference (it is then only a reference)', () => {
    expect(resolveRoute(keys(atSiret, { buyerReference: 'PO-778' }), { structure: structure({ services: [] }), recipient: null }).ok).toBe(true)
  })

  test.each([
    ['unknown SIRET', keys(atSiret), null, [['RECIPIENT_UNKNOWN', 'BT-49']]],
    ['unknown SIRET given as legal id', keys({ legalId: { scheme: '0009', value: SIRET } }), null, [['RECIPIENT_UNKNOWN', 'BT-47']]],
    ['inactive structure', keys(atSiret), structure({ active: false }), [['STRUCTURE_INACTIVE', 'BT-49']]],
    ['service required but absent', keys(atSiret), structure({ serviceRequired: true }), [['SERVICE_REQUIRED', 'BT-10']]],
    ['unknown service', keys(atSiret, { buyerReference: 'SERV-XX' }), structure(), [['SERVICE_UNKNOWN', 'BT-10']]],
    ['inactive service', keys(atSiret, { buyerReference: 'SERV-RH' }), structure(), [['SERVICE_INACTIVE', 'BT-10']]],
    ['commitment required by the structure', keys(atSiret), structure({ commitmentRequired: true }), [['COMMITMENT_REQUIRED', 'BT-13']]],
    ['commitment required by the service', keys(atSiret, { buyerReference: 'SERV-TX' }), structure(), [['COMMITMENT_REQUIRED', 'BT-13']]],
    ['service and commitment both missing', keys(atSiret), structure({ serviceRequired: true, commitmentRequired: true }), [['SERVICE_REQUIRED', 'BT-10'], ['COMMITMENT_REQUIRED', 'BT-13']]],
  ] as const)('A_RECYCLER: %s', (_name, k, s, expected) => {
    expect(reasons(resolveRoute(k, { structure: s, recipient: null }))).toEqual(expected)
  })

  test('the reasons say what the directory expects', () => {
    const r = resolveRoute(keys(atSiret, { buyerReference: 'SERV-XX' }), { structure: structure(), recipient: null })
    expect(!r.ok && r.reasons[0]!.message).toContain('its active services: SERV-FIN, SERV-TX')
  })

  test('a commitment number given satisfies the rule', () => {
    expect(resolveRoute(keys(atSiret, { buyerReference: 'SERV-TX', orderReference: 'EJ-2026-0042' }), { structure: structure(), recipient: null }).ok).toBe(true)
  })

  test('a SIRET that is not a structure but a registered B2B recipient goes B2B', () => {
    const company = { address: `0009:${SIRET}`, name: 'Entreprise', endpoint: 'file:///srv/e' }
    expect(resolveRoute(keys(atSiret), { structure: null, recipient: company })).toEqual({ ok: true, recipient: { ...company, serviceCode: null } })
  })
})

describe('the sellers a partner sends for (its addresses and the operator\'s list)', () => {
  const seller = (endpoint: DocumentKeys['seller']['endpoint'], legalId: DocumentKeys['seller']['legalId'] = null): DocumentKeys =>
    ({ ...keys({}), seller: { name: 'Fournisseur', legalId, vatId: null, endpoint } })

  test.each([
    ['with a SIRET', seller(null, { scheme: '0009', value: SIRET }), `0009:${SIRET}`],
    ['with an electronic address', seller({ scheme: '0088', value: '5790000435975' }), '0088:5790000435975'],
    ['without any identifier', seller(null), 'a seller without identifier'],
  ])('a partner bound to nothing may not send for a seller %s, and is told how to be bound', (_case, keys, named) => {
    const refused = senderAllowed(keys, [])
    expect(refused).toMatchObject({ code: 'SENDER_NOT_AUTHORISED', field: 'BT-34' })
    expect(refused?.message).toContain(named)
    expect(refused?.message).toContain('PUT /v1/partners/{id}/sellers')
  })

  test('a SIRET in the seller legal identifier of another scheme is not a SIRET binding', () => {
    expect(senderAllowed(seller(null, { scheme: '0002', value: SIRET }), [`0009:${SIRET}`])).not.toBeNull()
  })

  test('identifiers compare in lower case, as the bindings are stored', () => {
    expect(senderAllowed(seller({ scheme: 'EM', value: 'Factures@Example.FR' }), ['em:factures@example.fr'])).toBeNull()
  })

  test('the seller electronic address (BT-34) or its SIRET (BT-30, 0009) must be one of them', () => {
    expect(senderAllowed(seller({ scheme: '0088', value: '5790000435975' }), ['0088:5790000435975'])).toBeNull()
    expect(senderAllowed(seller(null, { scheme: '0009', value: SIRET }), [`0009:${SIRET}`])).toBeNull()
    const refused = senderAllowed(seller({ scheme: '0009', value: '73282932000074' }), [`0009:${SIRET}`])
    expect(refused).toMatchObject({ code: 'SENDER_NOT_AUTHORISED', field: 'BT-34' })
    expect(refused?.message).toContain('0009:73282932000074')
  })
})
