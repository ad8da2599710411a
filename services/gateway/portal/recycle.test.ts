import { describe, expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { correctRouting } from './recycle.js'
import { safeParse } from '../../kit/safe-xml.js'
import { detectSyntax } from '../../ingest/detect-syntax.js'
import { extractKeys } from '../../ingest/extract-keys.js'

const NEW_BUYER = '13002526500013'
const limits = { maxBytes: 10_000_000, maxDepth: 64 }
const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url))
/** What ingest reads of the corrected invoice: the routing keys the hub will route it by. */
function keysOf(xml: Buffer) {
  const parsed = safeParse(xml, limits)
  if (!parsed.ok) throw new Error(parsed.finding.message)
  const syntax = detectSyntax(parsed.doc)
  if (!syntax.ok) throw new Error('not an invoice')
  const keys = extractKeys(parsed.doc, syntax.syntax)
  if (!keys.ok) throw new Error('no keys')
  return keys.keys
}

describe('correctRouting: the routing data of an A_RECYCLER invoice, corrected in a copy', () => {
  test.each([['ubl-invoice.xml', 'ubl-invoice'], ['cii-invoice.xml', 'cii']])('%s: BT-10, BT-13 and the buyer SIRET changed where they are, nothing else', (file, syntax) => {
    const original = fixture(file)
    const out = correctRouting(original, syntax, { serviceCode: 'SERV-NEW', commitment: 'EJ-NEW-1', buyerSiret: NEW_BUYER }, limits)
    expect(out.ok).toBe(true)
    if (!out.ok) return
    const before = keysOf(original)
    const after = keysOf(out.xml)
    expect(after.buyerReference).toBe('SERV-NEW')
    expect(after.orderReference).toBe('EJ-NEW-1')
    expect(after.buyer.endpoint).toEqual({ scheme: '0009', value: NEW_BUYER })
    expect(out.changed).toEqual(expect.arrayContaining(['BT-10', 'BT-13', 'BT-49']))
    // The rest of the invoice is the same: number, date, seller, totals.
    expect({ ...after, buyerReference: null, orderReference: null, buyer: null }).toEqual({ ...before, buyerReference: null, orderReference: null, buyer: null })
  })

  test('missing BT-10 and BT-13 are inserted where the schema wants them (UBL)', () => {
    const text = fixture('ubl-invoice.xml').toString('utf8').replace(/<cbc:BuyerReference>[^<]*<\/cbc:BuyerReference>\s*/, '').replace(/<cac:OrderReference>[\s\S]*?<\/cac:OrderReference>\s*/, '')
    expect(keysOf(Buffer.from(text)).buyerReference).toBeNull()
    const out = correctRouting(Buffer.from(text), 'ubl-invoice', { serviceCode: 'S1', commitment: 'EJ-1', buyerSiret: null }, limits)
    expect(out.ok).toBe(true)
    if (!out.ok) return
    const xml = out.xml.toString('utf8')
    expect(keysOf(out.xml)).toMatchObject({ buyerReference: 'S1', orderReference: 'EJ-1' })
    // Schema order: BuyerReference before OrderReference, both before the seller.
    const at = (s: string) => xml.indexOf(s)
    expect(at('BuyerReference>S1')).toBeLessThan(at('OrderReference>'))
    expect(at('OrderReference>')).toBeLessThan(at('AccountingSupplierParty>'))
  })

  test('refusals: nothing to change, not XML, a Factur-X', () => {
    const same = keysOf(fixture('cii-invoice.xml'))
    expect(correctRouting(fixture('cii-invoice.xml'), 'cii', { serviceCode: same.buyerReference, commitment: null, buyerSiret: null }, limits)).toEqual({ ok: false, reason: 'nothing was changed: correct at least one of the fields' })
    expect(correctRouting(Buffer.from('<a>'), 'cii', { serviceCode: 'x', commitment: null, buyerSiret: null }, limits).ok).toBe(false)
    expect(correctRouting(Buffer.from('%PDF-1.7'), null, { serviceCode: 'x', commitment: null, buyerSiret: null }, limits).ok).toBe(false)
  })
})
