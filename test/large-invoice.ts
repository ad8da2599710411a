// A large but well-formed, schema- and rule-valid UBL invoice for the validation limits tests: the first
// invoice line of test/fixtures/ubl-invoice.xml repeated `lines` times (own line ids), with the totals
// (BT-106, BT-109, BT-110, BT-112, BT-115, BT-116, BT-117) recomputed so EN 16931 finds nothing wrong.
// Size: about 620 bytes per line (10 000 lines ≈ 6 MB).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const fixture = readFileSync(fileURLToPath(new URL('./fixtures/ubl-invoice.xml', import.meta.url)), 'utf8')

export function largeUblInvoice(lines: number, invoiceNumber = 'FCT-2026-LARGE'): string {
  const start = fixture.indexOf('  <cac:InvoiceLine>')
  const end = fixture.indexOf('</cac:InvoiceLine>', start) + '</cac:InvoiceLine>\n'.length
  const line = fixture.slice(start, end)
  if (start < 0 || !line.includes('<cbc:ID>1</cbc:ID>') || !line.includes('>1000.00<')) throw new Error('test/fixtures/ubl-invoice.xml: its first invoice line changed; update large-invoice.ts')
  const head = fixture.slice(0, start)
  const net = (lines * 1000).toFixed(2)
  const tax = (lines * 200).toFixed(2)
  const gross = (lines * 1200).toFixed(2)
  const totals = head
    .replace('<cbc:ID>FCT-2026-0001</cbc:ID>', `<cbc:ID>${invoiceNumber}</cbc:ID>`)
    .replaceAll('<cbc:TaxAmount currencyID="EUR">250.00</cbc:TaxAmount>', `<cbc:TaxAmount currencyID="EUR">${tax}</cbc:TaxAmount>`)
    .replaceAll('>1250.00<', `>${net}<`)
    .replaceAll('>1500.00<', `>${gross}<`)
  const body = Array.from({ length: lines }, (_, i) => line.replace('<cbc:ID>1</cbc:ID>', `<cbc:ID>${i + 1}</cbc:ID>`)).join('')
  return `${totals}${body}</Invoice>\n`
}
