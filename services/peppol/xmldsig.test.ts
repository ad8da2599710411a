import { describe, expect, it } from 'vitest'
import { generateKeyPairSync } from 'node:crypto'
import { XmlDocument, XmlElement } from 'libxml2-wasm'
import { DS, alg, canonicalDocument, canonicalSubtree, dereferenceInDocument, elementById, sha256, signatureValue, signedInfoXml, verifySignature } from './xmldsig.js'

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
const S12 = 'http://www.w3.org/2003/05/soap-envelope'
const EB = 'http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/'
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd'

// An envelope shaped like phase4's: `S12` and `eb` prefixes, wsu:Id on the signed parts.
const envelope = (signature = '', messaging = '<eb:MessageId>m-1@facteur</eb:MessageId>') =>
  `<S12:Envelope xmlns:S12="${S12}" xmlns:wsu="${WSU}"><S12:Header><eb:Messaging xmlns:eb="${EB}" S12:mustUnderstand="true" wsu:Id="id-messaging">${messaging}</eb:Messaging>` +
  `<wsse:Security xmlns:wsse="urn:wsse">${signature}</wsse:Security></S12:Header><S12:Body wsu:Id="id-body"/></S12:Envelope>`

function signedEnvelope(key = privateKey) {
  const unsigned = XmlDocument.fromString(envelope())
  const refs = ['id-messaging', 'id-body'].map((id) => ({ uri: `#${id}`, transforms: [alg.excC14n], digest: sha256(canonicalSubtree(elementById(unsigned, id)!)) }))
  unsigned.dispose()
  const signedInfo = signedInfoXml(refs)
  return envelope(`<ds:Signature xmlns:ds="${DS}">${signedInfo}<ds:SignatureValue>${signatureValue(signedInfo, key)}</ds:SignatureValue></ds:Signature>`)
}

function verify(xml: string, key = publicKey, expected = ['#id-messaging', '#id-body']) {
  const doc = XmlDocument.fromString(xml)
  try {
    const signature = doc.get('//ds:Signature', { ds: DS }) as XmlElement
    return verifySignature(signature, key, (uri, transforms) => dereferenceInDocument(doc, signature, uri, transforms), expected)
  } finally {
    doc.dispose()
  }
}

describe('exclusive C14N (libxml2)', () => {
  it('orders namespace declarations by code point, then attributes by namespace URI and name', () => {
    const doc = XmlDocument.fromString(envelope())
    const messaging = elementById(doc, 'id-messaging')!
    // 'S12' sorts before 'eb' (uppercase first): localeCompare would put eb first and break the digest.
    // Attributes go by namespace URI: http://docs.oasis-open.org/… (wsu) before http://www.w3.org/… (S12).
    expect(canonicalSubtree(messaging).toString()).toBe(
      `<eb:Messaging xmlns:S12="${S12}" xmlns:eb="${EB}" xmlns:wsu="${WSU}" wsu:Id="id-messaging" S12:mustUnderstand="true"><eb:MessageId>m-1@facteur</eb:MessageId></eb:Messaging>`)
    doc.dispose()
  })

  it('keeps only visibly used namespaces, unless the prefix list names them', () => {
    const doc = XmlDocument.fromString(`<a:r xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c"><a:x b:y="1"/></a:r>`)
    const x = doc.get('//a:x', { a: 'urn:a' }) as XmlElement
    expect(canonicalSubtree(x).toString()).toBe('<a:x xmlns:a="urn:a" xmlns:b="urn:b" b:y="1"></a:x>')
    expect(canonicalSubtree(x, ['c']).toString()).toBe('<a:x xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c" b:y="1"></a:x>')
    expect(canonicalSubtree(x, [], alg.c14n).toString()).toBe('<a:x xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c" b:y="1"></a:x>')
    doc.dispose()
  })
})

describe('XML signatures', () => {
  it('verifies what it signed', () => {
    expect(verify(signedEnvelope())).toEqual({ ok: true, references: ['#id-messaging', '#id-body'] })
  })

  it('refuses a changed signed part, a foreign key, a changed signature value', () => {
    const signed = signedEnvelope()
    expect(verify(signed.replace('m-1@facteur', 'm-2@facteur'))).toEqual({ ok: false, reason: expect.stringContaining('#id-messaging: digest mismatch') })
    expect(verify(signed, other.publicKey)).toEqual({ ok: false, reason: expect.stringContaining('does not verify') })
    const value = /<ds:SignatureValue>([^<]+)</.exec(signed)![1]!
    const flipped = Buffer.from(value, 'base64'); flipped[10]! ^= 1
    expect(verify(signed.replace(value, flipped.toString('base64')))).toMatchObject({ ok: false })
  })

  it('refuses a wrapped look-alike: an id used twice does not resolve', () => {
    const signed = signedEnvelope()
    const wrapped = signed.replace('<S12:Body wsu:Id="id-body"/>', '<S12:Body wsu:Id="id-body"/><S12:Body wsu:Id="id-body"><evil/></S12:Body>')
    expect(verify(wrapped)).toEqual({ ok: false, reason: expect.stringContaining('#id-body does not point at anything') })
    const doc = XmlDocument.fromString(wrapped)
    expect(elementById(doc, 'id-body')).toBeNull()
    expect(elementById(doc, "x' or '1'='1")).toBeNull()
    doc.dispose()
  })

  it('refuses a signature that does not cover what the caller relies on', () => {
    expect(verify(signedEnvelope(), publicKey, ['#id-messaging', '#id-body', 'cid:attachment'])).toEqual({ ok: false, reason: 'the signature does not cover cid:attachment' })
  })

  it('accepts only the Peppol algorithms', () => {
    const signed = signedEnvelope()
    expect(verify(signed.replace(alg.rsaSha256, 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'))).toEqual({ ok: false, reason: expect.stringContaining('signature method must be') })
    expect(verify(signed.replace(alg.sha256, 'http://www.w3.org/2000/09/xmldsig#sha1'))).toEqual({ ok: false, reason: expect.stringContaining('digest method must be') })
    expect(verify(signed.replace(`<ds:Transform Algorithm="${alg.excC14n}">`, '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116">'))).toEqual({ ok: false, reason: expect.stringContaining('is not accepted') })
  })

  it('an enveloped signature covers the whole document but itself', () => {
    const body = `<r xmlns="urn:r"><v>1</v></r>`
    const unsigned = XmlDocument.fromString(body)
    const digest = sha256(canonicalDocument(unsigned))
    unsigned.dispose()
    const signedInfo = signedInfoXml([{ uri: '', transforms: [alg.enveloped, alg.excC14n], digest }])
    const signed = body.replace('</r>', `<ds:Signature xmlns:ds="${DS}">${signedInfo}<ds:SignatureValue>${signatureValue(signedInfo, privateKey)}</ds:SignatureValue></ds:Signature></r>`)
    expect(verify(signed, publicKey, [''])).toEqual({ ok: true, references: [''] })
    expect(verify(signed.replace('<v>1</v>', '<v>2</v>'), publicKey, [''])).toMatchObject({ ok: false, reason: expect.stringContaining('digest mismatch') })
  })
})
