// Numbers, amounts, dates and IBANs as a French or an English reader writes them, from the XML's decimal text:
// never rounded, never through a float, and a malformed value shown as written.
import { describe, expect, test } from 'vitest'
import { codeName, documentTypes, formatDate, formatIban, formatMoney, formatNumber, formatRate, identifier, labels, paymentMeans } from './labels.js'

// Intl writes U+202F (narrow no-break space) between thousands and U+00A0 before the euro sign in French.
const nb = (s: string) => s.replace(/ /g, '\u202F').replace(/\u202F€/, '\u00A0€')

describe('labels', () => {
  test.each([
    ['1250.00', 'EUR', 'fr', nb('1 250,00 €')],
    ['1250.00', 'EUR', 'en', '€1,250.00'],
    ['1250.125', 'EUR', 'fr', nb('1 250,125 €')],
    ['12345678901234567.89', 'EUR', 'en', '€12,345,678,901,234,567.89'],
    ['-3.5', 'EUR', 'en', '-€3.50'],
    ['1234', 'JPY', 'en', 'JP¥1,234'],
    ['10.00', 'E', 'en', '10.00 E'],
    ['n/a', 'EUR', 'fr', 'n/a EUR'],
  ] as const)('formatMoney(%s, %s, %s) is %s', (amount, currency, lang, want) => {
    expect(formatMoney(amount, currency, lang)).toBe(want)
  })

  test.each([
    ['5', 'fr', 0, '5'], ['2.5', 'fr', 0, '2,5'], ['0.125', 'en', 0, '0.125'], ['1000', 'fr', 2, nb('1 000,00')], ['12,5', 'fr', 0, '12,5'],
  ] as const)('formatNumber(%s, %s, %i) is %s', (value, lang, min, want) => {
    expect(formatNumber(value, lang, min)).toBe(want)
  })

  test('dates, rates, IBANs and identifiers are written for a reader', () => {
    expect(formatDate('2026-11-20', 'fr')).toBe('20/11/2026')
    expect(formatDate('2026-11-20', 'en')).toBe('20 Nov 2026')
    expect(formatDate('20261120', 'fr')).toBe('20261120')
    expect(formatRate('5.5', 'fr')).toBe('5,5\u00A0%')
    expect(formatRate('20', 'en')).toBe('20%')
    expect(formatIban('FR7630006000011234567890189')).toBe('FR76 3000 6000 0112 3456 7890 189')
    expect(formatIban('not an IBAN')).toBe('not an IBAN')
    expect(identifier('73282932000074', '0009')).toBe('SIRET 73282932000074')
    expect(identifier('4000001000005', '0088')).toBe('GLN 4000001000005')
    expect(identifier('x', '9999')).toBe('9999 x')
  })

  test('codes are named with the code beside the name; an unknown code is shown alone', () => {
    expect(codeName(documentTypes, '381', 'fr')).toBe('Avoir (381)')
    expect(codeName(paymentMeans, '58', 'en')).toBe('SEPA credit transfer (58)')
    expect(codeName(paymentMeans, 'ZZZ', 'fr')).toBe('ZZZ')
  })

  test('both languages have every label', () => {
    expect(Object.keys(labels.en).sort()).toEqual(Object.keys(labels.fr).sort())
  })
})
