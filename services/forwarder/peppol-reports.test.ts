import { describe, expect, it } from 'vitest'
import { previousMonth, reporterCountry } from './peppol-reports.js'
import type { PeppolIdentity } from '../peppol/pki.js'

const withSubject = (subject: string) => ({ identity: { certificate: { subject } } }) as unknown as PeppolIdentity

describe('Peppol monthly reports: which month, which country', () => {
  it('reports the month before, in UTC, across a year', () => {
    expect(previousMonth(new Date('2026-11-29T18:00:00Z'))).toBe('2026-10')
    expect(previousMonth(new Date('2026-01-01T00:00:00Z'))).toBe('2025-12')
    // 23:30 on 31 March in UTC-2 is already April in UTC.
    expect(previousMonth(new Date('2026-03-31T23:30:00-02:00'))).toBe('2026-03')
  })

  it('takes the country from the settings, else from the AP certificate\'s subject', () => {
    expect(reporterCountry('BE', withSubject('C=FR, O=Facteur, CN=POP000001'))).toBe('BE')
    expect(reporterCountry(null, withSubject('C=FR, O=Facteur, CN=POP000001'))).toBe('FR')
    expect(reporterCountry(null, withSubject('CN=POP000001, O=Example, C=DK'))).toBe('DK')
    expect(reporterCountry(null, withSubject('CN=POP000001, O=CCC=XX Corp'))).toBeNull()
  })
})
