import { beforeAll, describe, expect, it } from 'vitest'
import { createDevPki, checkChain, type DevPki } from './pki.js'
import { chooseEndpoint, readSignedServiceMetadata, serviceMetadataUrl, signedServiceMetadataXml, AS4_TRANSPORT, type ServiceMetadata, type TrustCheck } from './smp.js'
import { documentTypeId, parseParticipant, processId, type PeppolId } from './identifiers.js'

const pid = (text: string): PeppolId => { const p = parseParticipant(text); if (!p.ok) throw new Error(p.reason); return p.id }
const PEPPOL_BIS = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0'
const BILLING = processId('urn:fdc:peppol.eu:2017:poacc:billing:01:1.0')
const participant = pid('0009:11000201100044')
const documentType = documentTypeId('ubl-invoice', PEPPOL_BIS)

let pki: DevPki
let other: DevPki
beforeAll(async () => {
  pki = await createDevPki()
  other = await createDevPki()
}, 60_000)

const trustSmpCa = (p: () => DevPki): TrustCheck => (der) => {
  const checked = checkChain(der, [p().smpCa.certificate], new Date(), { usage: 'smp' })
  return checked.ok ? { ok: true } : { ok: false, reason: checked.message }
}

const metadata = (over: Partial<ServiceMetadata> = {}): ServiceMetadata => ({
  participant, documentType,
  processes: [{ process: BILLING, endpoints: [{
    transportProfile: AS4_TRANSPORT, address: 'https://ap.facteur.test/as4', certificate: pki.peer.certificate.der,
    activation: new Date('2026-01-01T00:00:00Z'), expiration: null, description: 'Facteur <test> & co', technicalContact: 'mailto:ops@facteur.test',
  }] }],
  ...over,
})

describe('SMP service metadata', () => {
  it('builds the busdox URL with each identifier percent-encoded', () => {
    expect(serviceMetadataUrl('https://smp.example/', participant, documentType)).toBe(
      'https://smp.example/iso6523-actorid-upis%3A%3A0009%3A11000201100044/services/busdox-docid-qns%3A%3Aurn%3Aoasis%3Anames%3Aspecification%3Aubl%3Aschema%3Axsd%3AInvoice-2%3A%3AInvoice%23%23urn%3Acen.eu%3Aen16931%3A2017%23compliant%23urn%3Afdc%3Apeppol.eu%3A2017%3Apoacc%3Abilling%3A3.0%3A%3A2.1')
  })

  it('reads back what the hub signed: endpoint, certificate, dates, escaped text', () => {
    const xml = signedServiceMetadataXml(metadata(), { key: pki.smp.privateKey, certificate: pki.smp.certificate.der })
    const read = readSignedServiceMetadata(xml, trustSmpCa(() => pki))
    expect(read).toMatchObject({ ok: true, metadata: { participant, documentType } })
    if (!read.ok) return
    expect(read.signer.equals(pki.smp.certificate.der)).toBe(true)
    const chosen = chooseEndpoint(read.metadata, { participant: pid('0009:11000201100044'), documentType, process: BILLING }, new Date('2026-11-29T00:00:00Z'))
    expect(chosen).toMatchObject({ ok: true, endpoint: { address: 'https://ap.facteur.test/as4', description: 'Facteur <test> & co' } })
    if (chosen.ok) expect(chosen.endpoint.certificate.equals(pki.peer.certificate.der)).toBe(true)
  })

  it('refuses a changed answer, an answer signed by a certificate the SMP CA did not issue, and an unsigned one', () => {
    const xml = signedServiceMetadataXml(metadata(), { key: pki.smp.privateKey, certificate: pki.smp.certificate.der })
    expect(readSignedServiceMetadata(xml.replace('https://ap.facteur.test/as4', 'https://evil.test/as4'), trustSmpCa(() => pki)))
      .toEqual({ ok: false, reason: expect.stringContaining('digest mismatch') })
    // An AP certificate of the same PKI is not an SMP certificate: the SMP CA did not issue it.
    const byAp = signedServiceMetadataXml(metadata(), { key: pki.ap.privateKey, certificate: pki.ap.certificate.der })
    expect(readSignedServiceMetadata(byAp, trustSmpCa(() => pki))).toEqual({ ok: false, reason: expect.stringContaining('is not trusted') })
    const byStranger = signedServiceMetadataXml(metadata(), { key: other.smp.privateKey, certificate: other.smp.certificate.der })
    expect(readSignedServiceMetadata(byStranger, trustSmpCa(() => pki))).toEqual({ ok: false, reason: expect.stringContaining('is not trusted') })
    // The certificate swapped for a trusted one: the signature no longer verifies.
    const swapped = byStranger.replace(other.smp.certificate.der.toString('base64'), pki.smp.certificate.der.toString('base64'))
    expect(readSignedServiceMetadata(swapped, trustSmpCa(() => pki))).toEqual({ ok: false, reason: expect.stringContaining('does not verify') })
    const unsigned = xml.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')
    expect(readSignedServiceMetadata(unsigned, trustSmpCa(() => pki))).toEqual({ ok: false, reason: 'the SMP answer is not signed' })
    expect(readSignedServiceMetadata('<html>502 Bad Gateway</html>', trustSmpCa(() => pki))).toMatchObject({ ok: false, reason: expect.stringContaining('not a SignedServiceMetadata') })
  })

  it('chooses only an active AS4 endpoint of the asked process', () => {
    const at = new Date('2026-11-29T00:00:00Z')
    const asked = { participant, documentType, process: BILLING }
    const endpoint = metadata().processes[0]!.endpoints[0]!
    expect(chooseEndpoint(metadata({ processes: [{ process: processId('urn:other'), endpoints: [endpoint] }] }), asked, at)).toMatchObject({ ok: false, reason: expect.stringContaining('does not receive') })
    expect(chooseEndpoint(metadata({ processes: [{ process: BILLING, endpoints: [{ ...endpoint, transportProfile: 'busdox-transport-as2-ver1p0' }] }] }), asked, at)).toMatchObject({ ok: false, reason: expect.stringContaining('no peppol-transport-as4-v2_0 endpoint') })
    expect(chooseEndpoint(metadata({ processes: [{ process: BILLING, endpoints: [{ ...endpoint, expiration: new Date('2026-06-01T00:00:00Z') }] }] }), asked, at)).toMatchObject({ ok: false, reason: expect.stringContaining('not active') })
    expect(chooseEndpoint(metadata({ participant: pid('0009:99999999999999') }), asked, at)).toMatchObject({ ok: false, reason: expect.stringContaining('answered for') })
  })
})
