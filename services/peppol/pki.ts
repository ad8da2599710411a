// The hub's Peppol identity (its access point key and certificate, its seat id, the CAs it trusts) and a local test
// PKI shaped like OpenPeppol's: a root CA, an AP CA and an SMP CA under it, and the AP and SMP certificates they
// issue (`npx facteur pki dev`, pki-cli.ts). Certificate chains are checked here (checkChain) like in production.
//
// Libraries (checked 2026-11-29 with `npm view <pkg> time|engines|dependencies`):
// - @peculiar/x509 2.2.0 (2026-10-15, engines node>=20; its dependencies: @peculiar/asn1-* 2.11.1 node>=14, asn1js
//   3.1.0 node>=12, pvutils node>=16, tsyringe 4.10.0 node>=6, tslib/pvtsutils none) creates and parses the
//   certificates with node's webcrypto. It needs a Reflect polyfill (tsyringe): `reflect-metadata` 0.2.2, no
//   dependencies, imported first below; any other module importing @peculiar/x509 must import it first too.
// - PKCS#12: @peculiar/asn1-pfx 2.11.1 (2026-10-25, engines node>=14; "@peculiar/asn1-pkcs12" does not exist on
//   the registry, asn1-pfx is that package) for the structures, and node:crypto for the cryptography (PBKDF2,
//   AES-CBC, HMAC, and the RFC 7292 appendix B key derivation written here). It was already installed by
//   @peculiar/x509 (through asn1-pkcs9), so it adds no package. Written: PBES2 with PBKDF2-HMAC-SHA256 and
//   AES-256-CBC for the key and the certificates, MAC HMAC-SHA256, as OpenSSL 3 and Java 17 do by default; keytool
//   17.0.15 and `openssl pkcs12` read it (pki.test.ts). Read: that, and the older 3DES PKCS#12 PBE.
//   Rejected: node-forge 1.4.3 (2026-11-04, engines node>=6.13): its PKCS#12 writer has the MAC hard-wired to
//   HMAC-SHA1 (lib/pkcs12.js toPkcs12Asn1) and leaves the certificates unencrypted; pure-JavaScript crypto, no
//   types of its own. pkijs 4.0.0 (2026-10-22, engines ^20.19.0 || >=22.12.0) can write AES-256/PBKDF2-SHA256 with
//   an HMAC-SHA256 MAC, but is a new major that brings asn1js 4, @peculiar/utils 4, @noble/hashes 2 and
//   bytestreamjs 3 beside the asn1js 3 that @peculiar/x509 uses, for the same few structures.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema'
import { AlgorithmIdentifier } from '@peculiar/asn1-x509'
import { Attribute, ContentInfo, EncryptedContent, EncryptedContentInfo, id_data, id_encryptedData } from '@peculiar/asn1-cms'
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8'
import { DigestInfo } from '@peculiar/asn1-rsa'
import {
  AuthenticatedSafe, CertBag, MacData, PFX, PKCS12Attribute, SafeBag, SafeContents,
  id_certBag, id_keyBag, id_pkcs8ShroudedKeyBag, id_x509Certificate,
} from '@peculiar/asn1-pfx'
import {
  X509Certificate as NodeX509, createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey,
  pbkdf2Sync, randomBytes, timingSafeEqual, webcrypto, type KeyObject,
} from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { FacteurError } from '../kit/errors.js'
import type { Config } from '../kit/config.js'

// @peculiar/x509 types its crypto parameters with the DOM's Crypto, absent from this project's lib: node's webcrypto is that.
const crypto = webcrypto
/** @peculiar/x509, loaded after its Reflect polyfill: import it from here rather than directly. */
export { x509 }
type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair
const signingAlgorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
const DAY = 86_400_000

// ---------------------------------------------------------------------------------------------------------------
// Certificates

/** A certificate, parsed: what the AS4 and SMP code needs without touching ASN.1. */
export type ParsedCertificate = {
  der: Buffer
  pem: string
  subject: string
  subjectCN: string | null
  issuer: string
  issuerCN: string | null
  /** Hexadecimal, lower case, as in the certificate (leading zeros kept). */
  serialNumber: string
  notBefore: Date
  notAfter: Date
  publicKey: KeyObject
  /** SHA-256 of the DER, hexadecimal. */
  fingerprint256: string
  isCA: boolean
  x509: x509.X509Certificate
}

const toPem = (der: Buffer, label: string) => `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`

/** Parses one certificate, DER or PEM (the first CERTIFICATE block). */
export function parseCertificate(input: Buffer | Uint8Array | string | x509.X509Certificate): ParsedCertificate {
  let cert: x509.X509Certificate
  if (input instanceof x509.X509Certificate) cert = input
  else if (typeof input === 'string' || looksLikePem(input)) {
    const [first] = pemBlocks(typeof input === 'string' ? input : Buffer.from(input).toString('latin1'), 'CERTIFICATE')
    if (!first) throw new FacteurError('CONFIG_INVALID', 'no PEM CERTIFICATE block found')
    cert = new x509.X509Certificate(first)
  } else cert = new x509.X509Certificate(input)
  const der = Buffer.from(cert.rawData)
  const basic = cert.getExtension(x509.BasicConstraintsExtension)
  return {
    der,
    pem: toPem(der, 'CERTIFICATE'),
    subject: cert.subject,
    subjectCN: cert.subjectName.getField('CN')[0] ?? null,
    issuer: cert.issuer,
    issuerCN: cert.issuerName.getField('CN')[0] ?? null,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    publicKey: createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' }),
    fingerprint256: createHash('sha256').update(der).digest('hex'),
    isCA: basic?.ca === true,
    x509: cert,
  }
}

function looksLikePem(bytes: Buffer | Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 200)).toString('latin1').includes('-----BEGIN ')
}

/** The base64 bodies of the PEM blocks with this label, decoded. */
function pemBlocks(text: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+?)-----END ${label}-----`, 'g')
  return [...text.matchAll(re)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'))
}

/** Every certificate of a PEM text (a bundle of CA certificates, a chain), in order. */
export function parseCertificates(pem: string): ParsedCertificate[] {
  return pemBlocks(pem, 'CERTIFICATE').map((der) => parseCertificate(der))
}

/** Reads a PEM file of certificates; a clear error when it is missing or holds none. */
export function readCertificates(path: string, what = 'certificate file'): ParsedCertificate[] {
  const text = readFile(path, what).toString('latin1')
  let certs: ParsedCertificate[]
  try { certs = parseCertificates(text) } catch (error) {
    throw new FacteurError('CONFIG_INVALID', `${what} ${path}: not a readable PEM certificate (${(error as Error).message})`)
  }
  if (certs.length === 0) throw new FacteurError('CONFIG_INVALID', `${what} ${path}: no PEM CERTIFICATE block in it`)
  return certs
}

function readFile(path: string, what: string): Buffer {
  if (!existsSync(path)) throw new FacteurError('CONFIG_INVALID', `${what} ${path} does not exist`)
  try { return readFileSync(path) } catch (error) {
    throw new FacteurError('CONFIG_INVALID', `${what} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Chain checking

export type ChainFailure = 'untrusted issuer' | 'expired' | 'not yet valid' | 'bad signature' | 'issuer not a CA' | 'path too long' | 'key usage'
export type ChainResult =
  | { ok: true; chain: ParsedCertificate[] }
  | { ok: false; reason: ChainFailure; message: string; certificate: string }

export type ChainOptions = {
  /** Certificates that may complete the path but are not trusted themselves (e.g. the chain a peer sent). */
  intermediates?: CertificateInput[]
  /** Checks the end certificate's keyUsage, when it has one: `ap` digitalSignature + keyEncipherment, `smp` digitalSignature. */
  usage?: 'ap' | 'smp'
}
type CertificateInput = ParsedCertificate | Buffer | string

const asParsed = (c: CertificateInput): ParsedCertificate => (typeof c === 'string' || Buffer.isBuffer(c) ? parseCertificate(c) : c)
const nameDer = (n: x509.Name) => Buffer.from(n.toArrayBuffer())
const sameName = (a: x509.Name, b: x509.Name) => nameDer(a).equals(nameDer(b)) || a.toString().toLowerCase() === b.toString().toLowerCase()
const keyId = (c: ParsedCertificate) => c.x509.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId?.toLowerCase() ?? null
const authorityKeyId = (c: ParsedCertificate) => c.x509.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId?.toLowerCase() ?? null
const keyUsage = (c: ParsedCertificate) => c.x509.getExtension(x509.KeyUsagesExtension)?.usages ?? null

function signatureVerifies(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try { return new NodeX509(cert.der).verify(issuer.publicKey) } catch { return false }
}

/**
 * Checks `cert` against trusted CA certificates at the time `at`: a path of signatures from it up to a trusted
 * certificate (a root, or an intermediate such as the AP CA: trusting only the AP CA keeps SMP certificates out,
 * although both CAs share a root), every issuer a CA (basicConstraints cA, keyCertSign when keyUsage is present,
 * pathLenConstraint), every certificate of the path within its validity period, and the end certificate's key
 * usage when `options.usage` is given. The first failure is returned with a precise reason.
 * Revocation (OCSP, CRL) is not checked here: OpenPeppol's CAs publish both, and the AS4 layer will have to
 * decide how to use them (phase4 checks OCSP then CRL by default); a local test PKI has neither.
 */
export function checkChain(cert: CertificateInput, trustedCAs: CertificateInput[], at: Date = new Date(), options: ChainOptions = {}): ChainResult {
  const end = asParsed(cert)
  const trusted = trustedCAs.map(asParsed)
  const pool = (options.intermediates ?? []).map(asParsed)
  const isTrusted = (c: ParsedCertificate) => trusted.some((t) => t.der.equals(c.der))
  const fail = (reason: ChainFailure, c: ParsedCertificate, message: string): ChainResult => ({ ok: false, reason, message, certificate: c.subject })

  const chain: ParsedCertificate[] = [end]
  let current = end
  let intermediatesBelow = 0 // CA certificates between the issuer being checked and the end certificate (pathLenConstraint)
  while (!isTrusted(current)) {
    if (chain.length > 10) return fail('path too long', end, `no trusted CA within 10 certificates of ${end.subject}`)
    const named = [...trusted, ...pool.filter((p) => !chain.some((c) => c.der.equals(p.der)))]
      .filter((candidate) => sameName(candidate.x509.subjectName, current.x509.issuerName))
    // A certificate naming its issuer's key (authorityKeyIdentifier) is only the issuer's when the keys match: a CA
    // of the same name with another key (another dev PKI, a look-alike) is not this certificate's issuer at all.
    const aki = authorityKeyId(current)
    const candidates = named.filter((candidate) => aki === null || keyId(candidate) === null || keyId(candidate) === aki)
    if (candidates.length === 0) {
      return fail('untrusted issuer', current, `${current.subject} is issued by ${current.issuer}${aki ? ` (key ${aki})` : ''}, which is not a trusted CA${chain.length > 1 ? ` (path: ${chain.map((c) => c.subjectCN ?? c.subject).join(' → ')})` : ''}`)
    }
    const issuer = candidates.find((candidate) => signatureVerifies(current, candidate))
    if (!issuer) return fail('bad signature', current, `the signature of ${current.subject} does not verify with the key of ${candidates[0]!.subject}`)
    if (!issuer.isCA) return fail('issuer not a CA', issuer, `${issuer.subject} signed ${current.subject} but is not a CA (basicConstraints cA is not set)`)
    const usages = keyUsage(issuer)
    if (usages !== null && (usages & x509.KeyUsageFlags.keyCertSign) === 0) {
      return fail('issuer not a CA', issuer, `${issuer.subject} signed ${current.subject} but its keyUsage does not allow keyCertSign`)
    }
    if (current !== end) intermediatesBelow++ // `current` is a CA certificate below `issuer`
    const pathLength = issuer.x509.getExtension(x509.BasicConstraintsExtension)?.pathLength
    if (pathLength !== undefined && intermediatesBelow > pathLength) {
      return fail('path too long', issuer, `${issuer.subject} allows ${pathLength} CA certificate(s) below it (pathLenConstraint), the path has ${intermediatesBelow}`)
    }
    chain.push(issuer)
    current = issuer
  }

  for (const c of chain) {
    if (at.getTime() < c.notBefore.getTime()) return fail('not yet valid', c, `${c.subject} is not valid before ${c.notBefore.toISOString()} (checked at ${at.toISOString()})`)
    if (at.getTime() > c.notAfter.getTime()) return fail('expired', c, `${c.subject} expired on ${c.notAfter.toISOString()} (checked at ${at.toISOString()})`)
  }

  if (options.usage) {
    const usages = keyUsage(end)
    const needed = options.usage === 'ap'
      ? [['digitalSignature', x509.KeyUsageFlags.digitalSignature], ['keyEncipherment', x509.KeyUsageFlags.keyEncipherment]] as const
      : [['digitalSignature', x509.KeyUsageFlags.digitalSignature]] as const
    const missing = usages === null ? [] : needed.filter(([, flag]) => (usages & flag) === 0).map(([name]) => name)
    if (missing.length > 0) return fail('key usage', end, `${end.subject} may not be used by an ${options.usage === 'ap' ? 'access point' : 'SMP'}: its keyUsage lacks ${missing.join(' and ')}`)
  }
  return { ok: true, chain }
}

// ---------------------------------------------------------------------------------------------------------------
// PKCS#12 (RFC 7292): the structures from @peculiar/asn1-pfx, the cryptography from node:crypto.

const oid = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA1: '1.2.840.113549.2.7',
  hmacWithSHA224: '1.2.840.113549.2.8',
  hmacWithSHA256: '1.2.840.113549.2.9',
  hmacWithSHA384: '1.2.840.113549.2.10',
  hmacWithSHA512: '1.2.840.113549.2.11',
  aes128cbc: '2.16.840.1.101.3.4.1.2',
  aes192cbc: '2.16.840.1.101.3.4.1.22',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  desEde3cbc: '1.2.840.113549.3.7',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  pbeSha2Des: '1.2.840.113549.1.12.1.4',
  pbeSha128Rc2: '1.2.840.113549.1.12.1.5',
  pbeSha40Rc2: '1.2.840.113549.1.12.1.6',
  pbmac1: '1.2.840.113549.1.5.14',
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
} as const

const prfHashes: Record<string, string> = {
  [oid.hmacWithSHA1]: 'sha1', [oid.hmacWithSHA224]: 'sha224', [oid.hmacWithSHA256]: 'sha256', [oid.hmacWithSHA384]: 'sha384', [oid.hmacWithSHA512]: 'sha512',
}
const pbes2Ciphers: Record<string, { cipher: string; keyLength: number }> = {
  [oid.aes128cbc]: { cipher: 'aes-128-cbc', keyLength: 16 }, [oid.aes192cbc]: { cipher: 'aes-192-cbc', keyLength: 24 },
  [oid.aes256cbc]: { cipher: 'aes-256-cbc', keyLength: 32 }, [oid.desEde3cbc]: { cipher: 'des-ede3-cbc', keyLength: 24 },
}
const macHashes: Record<string, { hash: string; blockSize: number; length: number }> = {
  [oid.sha1]: { hash: 'sha1', blockSize: 64, length: 20 }, [oid.sha224]: { hash: 'sha224', blockSize: 64, length: 28 },
  [oid.sha256]: { hash: 'sha256', blockSize: 64, length: 32 }, [oid.sha384]: { hash: 'sha384', blockSize: 128, length: 48 },
  [oid.sha512]: { hash: 'sha512', blockSize: 128, length: 64 },
}

// The few structures asn1-pfx does not declare. The project's TypeScript has no experimentalDecorators, so the
// asn1-schema decorators are applied by calling them, which is what the legacy decorator syntax compiles to.
class Pbkdf2Params {
  salt = new OctetString()
  iterationCount = 0
  declare keyLength?: number
  declare prf?: AlgorithmIdentifier
  constructor(params: Partial<Pbkdf2Params> = {}) { Object.assign(this, params) }
}
AsnType({ type: AsnTypeTypes.Sequence })(Pbkdf2Params)
AsnProp({ type: OctetString })(Pbkdf2Params.prototype, 'salt') // salt CHOICE: only `specified` exists in practice
AsnProp({ type: AsnPropTypes.Integer })(Pbkdf2Params.prototype, 'iterationCount')
AsnProp({ type: AsnPropTypes.Integer, optional: true })(Pbkdf2Params.prototype, 'keyLength')
AsnProp({ type: AlgorithmIdentifier, optional: true })(Pbkdf2Params.prototype, 'prf')

class Pbes2Params {
  keyDerivationFunc = new AlgorithmIdentifier()
  encryptionScheme = new AlgorithmIdentifier()
  constructor(params: Partial<Pbes2Params> = {}) { Object.assign(this, params) }
}
AsnType({ type: AsnTypeTypes.Sequence })(Pbes2Params)
AsnProp({ type: AlgorithmIdentifier })(Pbes2Params.prototype, 'keyDerivationFunc')
AsnProp({ type: AlgorithmIdentifier })(Pbes2Params.prototype, 'encryptionScheme')

class Pkcs12PbeParams {
  salt = new OctetString()
  iterations = 0
}
AsnType({ type: AsnTypeTypes.Sequence })(Pkcs12PbeParams)
AsnProp({ type: OctetString })(Pkcs12PbeParams.prototype, 'salt')
AsnProp({ type: AsnPropTypes.Integer })(Pkcs12PbeParams.prototype, 'iterations')

/** CMS EncryptedData (RFC 5652 §8): the password-encrypted SafeContents of a PKCS#12 file. */
class CmsEncryptedData {
  version = 0
  encryptedContentInfo = new EncryptedContentInfo()
  declare unprotectedAttrs?: Attribute[]
  constructor(params: Partial<CmsEncryptedData> = {}) { Object.assign(this, params) }
}
AsnType({ type: AsnTypeTypes.Sequence })(CmsEncryptedData)
AsnProp({ type: AsnPropTypes.Integer })(CmsEncryptedData.prototype, 'version')
AsnProp({ type: EncryptedContentInfo })(CmsEncryptedData.prototype, 'encryptedContentInfo')
AsnProp({ type: Attribute, context: 1, implicit: true, repeated: 'set', optional: true })(CmsEncryptedData.prototype, 'unprotectedAttrs')

const bytes = (b: ArrayBuffer | ArrayBufferView) => (b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength))
const der = (value: unknown) => Buffer.from(AsnConvert.serialize(value))
const octets = (value: ArrayBuffer) => bytes(AsnConvert.parse(value, OctetString).buffer)
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer

/** The password as PKCS#12 wants it for its own key derivation: BMPString (UTF-16BE) with a two-byte terminator. */
function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc(password.length * 2 + 2)
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2)
  return out
}

/**
 * RFC 7292 appendix B.2: key material `length` bytes long for purpose `id` (1 key, 2 IV, 3 MAC key), from the
 * password, salt and iteration count, with the hash `hash` of block size `blockSize`.
 */
export function pkcs12Kdf(hash: string, blockSize: number, password: string, salt: Buffer, id: 1 | 2 | 3, iterations: number, length: number): Buffer {
  const v = blockSize
  const fill = (source: Buffer) => {
    const out = Buffer.alloc(source.length === 0 ? 0 : v * Math.ceil(source.length / v))
    for (let i = 0; i < out.length; i++) out[i] = source[i % source.length]!
    return out
  }
  const D = Buffer.alloc(v, id)
  const I = Buffer.concat([fill(salt), fill(bmpPassword(password))])
  const parts: Buffer[] = []
  let produced = 0
  while (produced < length) {
    let A = createHash(hash).update(D).update(I).digest()
    for (let r = 1; r < iterations; r++) A = createHash(hash).update(A).digest()
    parts.push(A)
    produced += A.length
    if (produced >= length) break
    const B = Buffer.alloc(v)
    for (let i = 0; i < v; i++) B[i] = A[i % A.length]!
    // Each v-byte block of I becomes (block + B + 1) mod 2^(8v).
    for (let j = 0; j < I.length; j += v) {
      let carry = 1
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry
        I[j + k] = sum & 0xff
        carry = sum >> 8
      }
    }
  }
  return Buffer.concat(parts).subarray(0, length)
}

export type Pkcs12WriteOptions = {
  /** Its alias in a Java KeyStore (friendlyName), e.g. the seat id in lower case. */
  friendlyName: string
  /** Key and certificate encryption, and MAC iterations (OpenSSL 3: 2048, Java 17: 10000). */
  iterations?: number
}

/** PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC, fresh salt and IV. */
function pbes2Encrypt(plain: Buffer, password: string, iterations: number): { algorithm: AlgorithmIdentifier; ciphertext: Buffer } {
  const salt = randomBytes(16)
  const iv = randomBytes(16)
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256')
  const cipher = createCipheriv('aes-256-cbc', key, iv)
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()])
  const params = new Pbes2Params({
    keyDerivationFunc: new AlgorithmIdentifier({
      algorithm: oid.pbkdf2,
      parameters: AsnConvert.serialize(new Pbkdf2Params({ salt: new OctetString(salt), iterationCount: iterations, prf: new AlgorithmIdentifier({ algorithm: oid.hmacWithSHA256, parameters: null }) })),
    }),
    encryptionScheme: new AlgorithmIdentifier({ algorithm: oid.aes256cbc, parameters: AsnConvert.serialize(new OctetString(iv)) }),
  })
  return { algorithm: new AlgorithmIdentifier({ algorithm: oid.pbes2, parameters: AsnConvert.serialize(params) }), ciphertext }
}

/** BMPString DER (tag 0x1e) of a friendly name. */
function bmpStringDer(text: string): ArrayBuffer {
  const body = Buffer.alloc(text.length * 2)
  for (let i = 0; i < text.length; i++) body.writeUInt16BE(text.charCodeAt(i), i * 2)
  return new Uint8Array(Buffer.concat([Buffer.from([0x1e]), derLength(body.length), body])).buffer
}
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const octetsOfN: number[] = []
  for (let m = n; m > 0; m = Math.floor(m / 256)) octetsOfN.unshift(m & 0xff)
  return Buffer.from([0x80 | octetsOfN.length, ...octetsOfN])
}
/** The text of a BMPString DER (friendlyName), or null when it is something else. */
function readBmpString(value: ArrayBuffer): string | null {
  const b = bytes(value)
  if (b[0] !== 0x1e || b.length < 2) return null
  let offset = 2
  let length = b[1]!
  if (length & 0x80) {
    const n = length & 0x7f
    length = 0
    for (let i = 0; i < n; i++) length = length * 256 + b[2 + i]!
    offset = 2 + n
  }
  let text = ''
  for (let i = offset; i + 1 < offset + length && i + 1 < b.length; i += 2) text += String.fromCharCode(b.readUInt16BE(i))
  return text
}

/**
 * A PKCS#12 file of one private key and its certificate (then the chain, nearest issuer first), protected by
 * `password`: the key in a PKCS8ShroudedKeyBag and the certificates in an EncryptedData, both PBES2 with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC; integrity by HMAC-SHA256 (key from the RFC 7292 KDF). The key and its
 * certificate share a localKeyId and a friendlyName (the alias keytool shows).
 */
export function writePkcs12(privateKey: KeyObject, certificate: ParsedCertificate, chain: ParsedCertificate[], password: string, options: Pkcs12WriteOptions): Buffer {
  const iterations = options.iterations ?? 10_000
  const localKeyId = createHash('sha1').update(certificate.der).digest()
  // PKCS12Attribute's constructor (asn1-pfx 2.11.1) drops its parameters (`Object.assign(params)`): set them after.
  const attribute = (attrId: string, value: ArrayBuffer) => Object.assign(new PKCS12Attribute(), { attrId, attrValues: [value] })
  const attributes = [attribute(oid.friendlyName, bmpStringDer(options.friendlyName)), attribute(oid.localKeyId, AsnConvert.serialize(new OctetString(localKeyId)))]
  const certBag = (c: ParsedCertificate, attrs?: PKCS12Attribute[]) => new SafeBag({
    bagId: id_certBag,
    bagValue: AsnConvert.serialize(new CertBag({ certId: id_x509Certificate, certValue: AsnConvert.serialize(new OctetString(c.der)) })),
    ...(attrs ? { bagAttributes: attrs } : {}),
  })
  const certificates = der(new SafeContents([certBag(certificate, attributes), ...chain.map((c) => certBag(c))]))
  const encryptedCerts = pbes2Encrypt(certificates, password, iterations)
  const certsInfo = new ContentInfo({
    contentType: id_encryptedData,
    content: AsnConvert.serialize(new CmsEncryptedData({
      version: 0,
      encryptedContentInfo: new EncryptedContentInfo({
        contentType: id_data,
        contentEncryptionAlgorithm: encryptedCerts.algorithm,
        encryptedContent: new EncryptedContent({ value: new OctetString(encryptedCerts.ciphertext) }),
      }),
    })),
  })

  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' })
  const encryptedKey = pbes2Encrypt(pkcs8, password, iterations)
  const keyBag = new SafeBag({
    bagId: id_pkcs8ShroudedKeyBag,
    bagValue: AsnConvert.serialize(new EncryptedPrivateKeyInfo({ encryptionAlgorithm: encryptedKey.algorithm, encryptedData: new OctetString(encryptedKey.ciphertext) })),
    bagAttributes: attributes,
  })
  const keyInfo = new ContentInfo({ contentType: id_data, content: AsnConvert.serialize(new OctetString(der(new SafeContents([keyBag])))) })

  const authenticatedSafe = der(new AuthenticatedSafe([certsInfo, keyInfo]))
  const macSalt = randomBytes(32)
  const macKey = pkcs12Kdf('sha256', 64, password, macSalt, 3, iterations, 32)
  const mac = createHmac('sha256', macKey).update(authenticatedSafe).digest()
  const pfx = new PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: id_data, content: AsnConvert.serialize(new OctetString(authenticatedSafe)) }),
    macData: new MacData({
      mac: new DigestInfo({ digestAlgorithm: new AlgorithmIdentifier({ algorithm: oid.sha256, parameters: null }), digest: new OctetString(mac) }),
      macSalt: new OctetString(macSalt),
      iterations,
    }),
  })
  return der(pfx)
}

export type Pkcs12Contents = {
  keys: { privateKey: KeyObject; localKeyId: string | null; friendlyName: string | null }[]
  certificates: { certificate: ParsedCertificate; localKeyId: string | null; friendlyName: string | null }[]
}

/** Errors of readPkcs12, without the file name (loadIdentity adds it): a wrong password, not PKCS#12, or an algorithm it does not do. */
export class Pkcs12Error extends Error {
  constructor(readonly kind: 'password' | 'format' | 'unsupported', message: string) { super(message) }
}

function decrypt(algorithm: AlgorithmIdentifier, ciphertext: Buffer, password: string): Buffer {
  let cipher: string
  let key: Buffer
  let iv: Buffer
  if (algorithm.algorithm === oid.pbes2) {
    const params = AsnConvert.parse(algorithm.parameters!, Pbes2Params)
    if (params.keyDerivationFunc.algorithm !== oid.pbkdf2) throw new Pkcs12Error('unsupported', `PBES2 key derivation ${params.keyDerivationFunc.algorithm} is not supported (PBKDF2 is)`)
    const kdf = AsnConvert.parse(params.keyDerivationFunc.parameters!, Pbkdf2Params)
    const prf = kdf.prf ? prfHashes[kdf.prf.algorithm] : 'sha1'
    if (!prf) throw new Pkcs12Error('unsupported', `PBKDF2 pseudo-random function ${kdf.prf!.algorithm} is not supported`)
    const scheme = pbes2Ciphers[params.encryptionScheme.algorithm]
    if (!scheme) throw new Pkcs12Error('unsupported', `PBES2 cipher ${params.encryptionScheme.algorithm} is not supported (AES-CBC and 3DES are)`)
    cipher = scheme.cipher
    key = pbkdf2Sync(Buffer.from(password, 'utf8'), bytes(kdf.salt.buffer), kdf.iterationCount, kdf.keyLength ?? scheme.keyLength, prf)
    iv = octets(params.encryptionScheme.parameters!)
  } else if (algorithm.algorithm === oid.pbeSha3Des || algorithm.algorithm === oid.pbeSha2Des) {
    const params = AsnConvert.parse(algorithm.parameters!, Pkcs12PbeParams)
    const salt = bytes(params.salt.buffer)
    const threeKey = algorithm.algorithm === oid.pbeSha3Des
    cipher = threeKey ? 'des-ede3-cbc' : 'des-ede-cbc'
    key = pkcs12Kdf('sha1', 64, password, salt, 1, params.iterations, threeKey ? 24 : 16)
    iv = pkcs12Kdf('sha1', 64, password, salt, 2, params.iterations, 8)
  } else if (algorithm.algorithm === oid.pbeSha40Rc2 || algorithm.algorithm === oid.pbeSha128Rc2) {
    throw new Pkcs12Error('unsupported', 'it is encrypted with RC2 (a legacy PKCS#12 from OpenSSL 1.x or an old keytool), which the OpenSSL 3 of Node does not provide; convert it with `openssl pkcs12 -legacy -in old.p12 -out all.pem -nodes` then `openssl pkcs12 -export -in all.pem -out new.p12` (AES-256 by default)')
  } else {
    throw new Pkcs12Error('unsupported', `encryption algorithm ${algorithm.algorithm} is not supported (PBES2 with AES-CBC, or 3DES, are)`)
  }
  try {
    const decipher = createDecipheriv(cipher, key, iv)
    return Buffer.concat([decipher.update(ciphertext), decipher.final()])
  } catch {
    throw new Pkcs12Error('password', 'wrong password (decryption fails)')
  }
}

function bagAttributes(bag: SafeBag): { localKeyId: string | null; friendlyName: string | null } {
  let localKeyId: string | null = null
  let friendlyName: string | null = null
  for (const a of bag.bagAttributes ?? []) {
    const value = a.attrValues[0]
    if (!value) continue
    if (a.attrId === oid.localKeyId) { try { localKeyId = octets(value).toString('hex') } catch { /* not an OCTET STRING: ignored */ } }
    if (a.attrId === oid.friendlyName) friendlyName = readBmpString(value)
  }
  return { localKeyId, friendlyName }
}

/** Opens a PKCS#12 file: checks its MAC with the password, decrypts its keys and certificates. */
export function readPkcs12(file: Buffer, password: string): Pkcs12Contents {
  let pfx: PFX
  try { pfx = AsnConvert.parse(file, PFX) } catch (error) {
    throw new Pkcs12Error('format', `not a PKCS#12 file (${(error as Error).message})`)
  }
  if (pfx.authSafe.contentType !== id_data) throw new Pkcs12Error('unsupported', 'public-key integrity mode (signed PKCS#12) is not supported, only password integrity')
  const authenticatedSafe = octets(pfx.authSafe.content)
  if (pfx.macData) {
    const algorithm = pfx.macData.mac.digestAlgorithm.algorithm
    const hash = macHashes[algorithm]
    if (!hash) {
      throw new Pkcs12Error('unsupported', algorithm === oid.pbmac1 ? 'its MAC is PBMAC1 (RFC 9579), not supported yet' : `MAC algorithm ${algorithm} is not supported`)
    }
    const key = pkcs12Kdf(hash.hash, hash.blockSize, password, bytes(pfx.macData.macSalt.buffer), 3, pfx.macData.iterations ?? 1, hash.length)
    const expected = createHmac(hash.hash, key).update(authenticatedSafe).digest()
    const actual = bytes(pfx.macData.mac.digest.buffer)
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      throw new Pkcs12Error('password', 'wrong password (the integrity check, an HMAC keyed by the password, fails; or the file was altered)')
    }
  }
  const out: Pkcs12Contents = { keys: [], certificates: [] }
  const infos = AsnConvert.parse(authenticatedSafe, AuthenticatedSafe)
  for (const info of infos) {
    let safeContents: Buffer
    if (info.contentType === id_data) safeContents = octets(info.content)
    else if (info.contentType === id_encryptedData) {
      const encrypted = AsnConvert.parse(info.content, CmsEncryptedData).encryptedContentInfo
      const content = encrypted.encryptedContent
      const ciphertext = content?.value ? bytes(content.value.buffer) : Buffer.concat((content?.constructedValue ?? []).map((o) => bytes(o.buffer)))
      safeContents = decrypt(encrypted.contentEncryptionAlgorithm, ciphertext, password)
    } else throw new Pkcs12Error('unsupported', `content of type ${info.contentType} (public-key privacy mode) is not supported, only password privacy`)
    for (const bag of AsnConvert.parse(safeContents, SafeContents)) {
      const attrs = bagAttributes(bag)
      if (bag.bagId === id_pkcs8ShroudedKeyBag) {
        const shrouded = AsnConvert.parse(bag.bagValue, EncryptedPrivateKeyInfo)
        const pkcs8 = decrypt(shrouded.encryptionAlgorithm, bytes(shrouded.encryptedData.buffer), password)
        let privateKey: KeyObject
        try { privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }) } catch {
          throw new Pkcs12Error('password', 'wrong password (the decrypted key is not a key)')
        }
        out.keys.push({ privateKey, ...attrs })
      } else if (bag.bagId === id_keyBag) {
        out.keys.push({ privateKey: createPrivateKey({ key: bytes(bag.bagValue), format: 'der', type: 'pkcs8' }), ...attrs })
      } else if (bag.bagId === id_certBag) {
        const certBag = AsnConvert.parse(bag.bagValue, CertBag)
        if (certBag.certId !== id_x509Certificate) continue
        out.certificates.push({ certificate: parseCertificate(octets(certBag.certValue)), ...attrs })
      }
      // CRL, secret and nested bags: not ours.
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// The hub's identity

export type IdentitySettings = {
  /** A PKCS#12 file and its password … */
  keystore?: string | null
  keystorePassword?: string | null
  /** … or a PEM certificate (optionally followed by its chain) and a PEM private key. */
  cert?: string | null
  key?: string | null
  /** The password of an encrypted PEM key (ENCRYPTED PRIVATE KEY). */
  keyPassword?: string | null
}

export type Identity = {
  privateKey: KeyObject
  publicKey: KeyObject
  certificate: ParsedCertificate
  /** The issuers that came with it (from the keystore, or after the certificate in the PEM file), nearest first. */
  chain: ParsedCertificate[]
  source: { kind: 'pkcs12' | 'pem'; path: string }
}

const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' })

/** Orders the other certificates as a chain from `leaf` (issuer first), leaving out what is not on its path. */
function orderChain(leaf: ParsedCertificate, others: ParsedCertificate[]): ParsedCertificate[] {
  const chain: ParsedCertificate[] = []
  let current = leaf
  const left = others.filter((c) => !c.der.equals(leaf.der))
  while (chain.length < 10) {
    if (sameName(current.x509.subjectName, current.x509.issuerName)) break
    const issuer = left.find((c) => sameName(c.x509.subjectName, current.x509.issuerName) && !chain.includes(c) && signatureVerifies(current, c))
    if (!issuer) break
    chain.push(issuer)
    current = issuer
  }
  return chain
}

function checkValidity(cert: ParsedCertificate, at: Date, where: string) {
  if (at.getTime() > cert.notAfter.getTime()) {
    throw new FacteurError('CONFIG_INVALID', `${where}: the certificate ${cert.subject} expired on ${cert.notAfter.toISOString()}`)
  }
  if (at.getTime() < cert.notBefore.getTime()) {
    throw new FacteurError('CONFIG_INVALID', `${where}: the certificate ${cert.subject} is not valid before ${cert.notBefore.toISOString()}`)
  }
}

/**
 * The hub's access point key and certificate, from a PKCS#12 file and its password or from PEM files. Throws
 * CONFIG_INVALID with a precise message: a file missing, a wrong password, a key that does not match the
 * certificate, a certificate out of its validity period at `at`.
 */
export function loadIdentity(settings: IdentitySettings, at: Date = new Date()): Identity {
  const { keystore, cert, key } = settings
  if (keystore && (cert || key)) throw new FacteurError('CONFIG_INVALID', 'give either a PKCS#12 keystore or a PEM certificate and key, not both')
  if (keystore) {
    if (settings.keystorePassword === undefined || settings.keystorePassword === null) {
      throw new FacteurError('CONFIG_INVALID', `PKCS#12 keystore ${keystore}: no password given`)
    }
    const file = readFile(keystore, 'PKCS#12 keystore')
    let contents: Pkcs12Contents
    try { contents = readPkcs12(file, settings.keystorePassword) } catch (error) {
      if (error instanceof Pkcs12Error) throw new FacteurError('CONFIG_INVALID', `PKCS#12 keystore ${keystore}: ${error.message}`)
      throw new FacteurError('CONFIG_INVALID', `PKCS#12 keystore ${keystore}: unreadable (${(error as Error).message})`)
    }
    if (contents.keys.length === 0) throw new FacteurError('CONFIG_INVALID', `PKCS#12 keystore ${keystore}: holds no private key`)
    if (contents.keys.length > 1) throw new FacteurError('CONFIG_INVALID', `PKCS#12 keystore ${keystore}: holds ${contents.keys.length} private keys; the hub needs a keystore with exactly one (its access point key)`)
    const entry = contents.keys[0]!
    const publicKey = createPublicKey(entry.privateKey)
    const matching = contents.certificates.find((c) => c.certificate.publicKey.export({ type: 'spki', format: 'der' }).equals(spki(publicKey)))
    if (!matching) {
      throw new FacteurError('CONFIG_INVALID', contents.certificates.length === 0
        ? `PKCS#12 keystore ${keystore}: holds no certificate`
        : `PKCS#12 keystore ${keystore}: the private key does not match any certificate in it (${contents.certificates.map((c) => c.certificate.subject).join('; ')})`)
    }
    checkValidity(matching.certificate, at, `PKCS#12 keystore ${keystore}`)
    return {
      privateKey: entry.privateKey, publicKey, certificate: matching.certificate,
      chain: orderChain(matching.certificate, contents.certificates.map((c) => c.certificate)),
      source: { kind: 'pkcs12', path: keystore },
    }
  }
  if (!cert || !key) throw new FacteurError('CONFIG_INVALID', cert ? `PEM certificate ${cert}: no private key file given with it` : key ? `PEM private key ${key}: no certificate file given with it` : 'no keystore and no PEM certificate and key given')
  const certs = readCertificates(cert, 'PEM certificate')
  const keyPem = readFile(key, 'PEM private key')
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(settings.keyPassword ? { key: keyPem, format: 'pem', passphrase: settings.keyPassword } : { key: keyPem, format: 'pem' })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ERR_MISSING_PASSPHRASE') throw new FacteurError('CONFIG_INVALID', `PEM private key ${key}: it is encrypted and no password was given`)
    if (settings.keyPassword && /bad decrypt/i.test((error as Error).message)) throw new FacteurError('CONFIG_INVALID', `PEM private key ${key}: wrong password`)
    throw new FacteurError('CONFIG_INVALID', `PEM private key ${key}: not a readable private key (${(error as Error).message})`)
  }
  const [leaf, ...rest] = certs
  const publicKey = createPublicKey(privateKey)
  if (!spki(leaf!.publicKey).equals(spki(publicKey))) {
    throw new FacteurError('CONFIG_INVALID', `PEM private key ${key} does not match the certificate ${leaf!.subject} in ${cert} (different public keys)`)
  }
  checkValidity(leaf!, at, `PEM certificate ${cert}`)
  return { privateKey, publicKey, certificate: leaf!, chain: orderChain(leaf!, rest), source: { kind: 'pem', path: cert } }
}

export type PeppolIdentity = {
  seatId: string
  identity: Identity
  /** Trusted for the certificates of other access points (senders and receivers). */
  apCAs: ParsedCertificate[]
  /** Trusted for the signatures of SMP answers. */
  smpCAs: ParsedCertificate[]
  smlZone: string
  smpUrl: string | null
}

/**
 * The hub's Peppol identity from its settings, or null when Peppol is off (FACTEUR_PEPPOL_SEAT_ID empty). Throws
 * CONFIG_INVALID naming the setting to fix when Peppol is on but a setting is missing or wrong: no key, a key that
 * does not open, a certificate whose CN is not the seat id, or that does not chain to FACTEUR_PEPPOL_AP_CA.
 */
export function peppolIdentityFromConfig(config: Config, at: Date = new Date()): PeppolIdentity | null {
  const seatId = config.peppolSeatId
  if (!seatId) return null
  const on = `Peppol is on (FACTEUR_PEPPOL_SEAT_ID=${seatId})`
  const hasKeystore = Boolean(config.peppolKeystore)
  const hasPem = Boolean(config.peppolCert || config.peppolKey)
  if (!hasKeystore && !hasPem) {
    throw new FacteurError('CONFIG_INVALID', `${on} but has no key: set FACTEUR_PEPPOL_KEYSTORE and FACTEUR_PEPPOL_KEYSTORE_PASSWORD, or FACTEUR_PEPPOL_CERT and FACTEUR_PEPPOL_KEY (\`npx facteur pki dev\` makes test ones)`)
  }
  if (hasKeystore && hasPem) throw new FacteurError('CONFIG_INVALID', 'set FACTEUR_PEPPOL_KEYSTORE or FACTEUR_PEPPOL_CERT and FACTEUR_PEPPOL_KEY, not both')
  const settingNames = hasKeystore ? 'FACTEUR_PEPPOL_KEYSTORE, FACTEUR_PEPPOL_KEYSTORE_PASSWORD' : 'FACTEUR_PEPPOL_CERT, FACTEUR_PEPPOL_KEY'
  let identity: Identity
  try {
    identity = loadIdentity(hasKeystore
      ? { keystore: resolve(config.peppolKeystore!), keystorePassword: config.peppolKeystorePassword ?? null }
      : { cert: config.peppolCert ? resolve(config.peppolCert) : null, key: config.peppolKey ? resolve(config.peppolKey) : null }, at)
  } catch (error) {
    if (error instanceof FacteurError) throw new FacteurError('CONFIG_INVALID', `${error.message} (${settingNames})`)
    throw error
  }
  if (identity.certificate.subjectCN !== seatId) {
    throw new FacteurError('CONFIG_INVALID', `${on} but the certificate of ${identity.source.path} is for CN=${identity.certificate.subjectCN ?? '(none)'}: an access point's certificate CN is its seat id`)
  }
  const trustFile = (path: string | null, env: string, what: string) => {
    if (!path) throw new FacteurError('CONFIG_INVALID', `${on} but ${env} is not set: the PEM file of the ${what}`)
    try { return readCertificates(resolve(path), `${env} file`) } catch (error) {
      throw error instanceof FacteurError ? new FacteurError('CONFIG_INVALID', error.message) : error
    }
  }
  const apCAs = trustFile(config.peppolApCa, 'FACTEUR_PEPPOL_AP_CA', 'trusted AP CA certificate(s) (OpenPeppol\'s AP CA)')
  const smpCAs = trustFile(config.peppolSmpCa, 'FACTEUR_PEPPOL_SMP_CA', 'trusted SMP CA certificate(s) (OpenPeppol\'s SMP CA)')
  const own = checkChain(identity.certificate, apCAs, at, { intermediates: identity.chain, usage: 'ap' })
  if (!own.ok) throw new FacteurError('CONFIG_INVALID', `${on} but the hub's own certificate fails against FACTEUR_PEPPOL_AP_CA (${own.reason}): ${own.message}`)
  return { seatId, identity, apCAs, smpCAs, smlZone: config.peppolSmlZone, smpUrl: config.peppolSmpUrl }
}

// ---------------------------------------------------------------------------------------------------------------
// The dev PKI

export type CertificateRole = 'root' | 'ap-ca' | 'smp-ca' | 'ap' | 'smp'
export type IssuedCertificate = {
  /** File stem: root-ca, ap-ca, smp-ca, or the CN of an AP or SMP certificate. */
  name: string
  role: CertificateRole
  certificate: ParsedCertificate
  privateKey: KeyObject
  /** Its issuers up to the root, nearest first (empty for the root). */
  chain: ParsedCertificate[]
}
export type DevPki = {
  root: IssuedCertificate
  apCa: IssuedCertificate
  smpCa: IssuedCertificate
  /** The hub's access point. */
  ap: IssuedCertificate
  /** A second access point, for a peer on the same machine. */
  peer: IssuedCertificate
  smp: IssuedCertificate
  /** The certificates asked for with `extra` (expired, not yet valid …), by name. */
  extra: Record<string, IssuedCertificate>
}
type Validity = { notBefore?: Date; notAfter?: Date }
export type ExtraCertificate = Validity & {
  /** File stem and key in DevPki.extra. */
  name: string
  kind: 'ap' | 'smp'
  /** Its CN (a seat id for an AP). */
  cn: string
}
export type DevPkiOptions = {
  /** The hub's seat id (CN of its AP certificate). */
  seatId?: string
  /** The peer access point's seat id. */
  peerSeatId?: string
  /** CN of the SMP certificate. */
  smpId?: string
  organisation?: string
  country?: string
  /** "Now" for the default validity periods. */
  now?: Date
  /** Validity of the AP and SMP certificates, in days from `now` (default 730). */
  validityDays?: number
  /** RSA modulus of the CAs (default 3072) and of the AP and SMP certificates (default 2048, as Peppol's). */
  caKeyBits?: 2048 | 3072 | 4096
  keyBits?: 2048 | 3072 | 4096
  /** Validity dates of the three end certificates, for tests. */
  validity?: Partial<Record<'ap' | 'peer' | 'smp', Validity>>
  /** More end certificates, e.g. { name: 'expired', kind: 'ap', cn: 'POP000009', notAfter: yesterday }. */
  extra?: ExtraCertificate[]
}

export const devPkiDefaults = { seatId: 'POP000001', peerSeatId: 'POP000002', smpId: 'SMP000001', organisation: 'Facteur dev PKI', country: 'FR' } as const
const seatIdPattern = /^P[A-Z]{2}[0-9]{6}$/

async function rsaKeys(bits: number): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ ...signingAlgorithm, modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['sign', 'verify'])) as CryptoKeyPair
}
const serial = () => { const b = randomBytes(16); b[0] = (b[0]! & 0x7f) | 0x01; return b.toString('hex') }
const keyObject = async (key: CryptoKey) => createPrivateKey({ key: Buffer.from(await crypto.subtle.exportKey('pkcs8', key)), format: 'der', type: 'pkcs8' })

/**
 * A local test PKI shaped like OpenPeppol's: a root CA; under it an AP CA and an SMP CA (pathLen 0); the AP CA
 * issues the hub's AP certificate (CN = its seat id) and a peer's, the SMP CA an SMP certificate. End
 * certificates: RSA, SHA-256, keyUsage digitalSignature + keyEncipherment, valid `validityDays`. No one else
 * trusts it: for tests and for trying Peppol on one machine. Nothing is written (writeDevPki does that).
 */
export async function createDevPki(options: DevPkiOptions = {}): Promise<DevPki> {
  const now = options.now ?? new Date()
  const seatId = options.seatId ?? devPkiDefaults.seatId
  const peerSeatId = options.peerSeatId ?? devPkiDefaults.peerSeatId
  const smpId = options.smpId ?? devPkiDefaults.smpId
  for (const [what, id] of [['seat id', seatId], ['peer seat id', peerSeatId]] as const) {
    if (!seatIdPattern.test(id)) throw new FacteurError('INVALID_REQUEST', `${what} ${JSON.stringify(id)}: a Peppol seat id is P, two capital letters and six digits (e.g. POP000001)`)
  }
  const names = [seatId, peerSeatId, smpId, ...(options.extra ?? []).map((e) => e.name)]
  if (new Set(names).size !== names.length) throw new FacteurError('INVALID_REQUEST', `certificate names must differ: ${names.join(', ')}`)
  for (const name of names) {
    if (!/^[A-Za-z0-9._-]+$/.test(name) || ['root-ca', 'ap-ca', 'smp-ca'].includes(name)) throw new FacteurError('INVALID_REQUEST', `${JSON.stringify(name)} cannot name a certificate file`)
  }
  const organisation = options.organisation ?? devPkiDefaults.organisation
  const country = options.country ?? devPkiDefaults.country
  const days = options.validityDays ?? 730
  const leafDefault = { notBefore: new Date(now.getTime() - 3_600_000), notAfter: new Date(now.getTime() + days * DAY) }
  const leafValidity = (v?: Validity) => ({ notBefore: v?.notBefore ?? leafDefault.notBefore, notAfter: v?.notAfter ?? leafDefault.notAfter })
  const requested = [options.validity?.ap, options.validity?.peer, options.validity?.smp, ...(options.extra ?? [])].map(leafValidity).concat(leafDefault)
  // The CAs cover every certificate they issue, including test ones dated in the past or the future.
  const caNotBefore = new Date(Math.min(now.getTime() - DAY, ...requested.map((v) => v.notBefore.getTime() - DAY)))
  const caNotAfter = new Date(Math.max(now.getTime() + 10 * 365 * DAY, ...requested.map((v) => v.notAfter.getTime() + DAY)))
  const name = (cn: string, unit?: string): x509.JsonName => [{ C: [country] }, { O: [organisation] }, ...(unit ? [{ OU: [unit] }] : []), { CN: [cn] }]
  const caUsage = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign

  const rootKeys = await rsaKeys(options.caKeyBits ?? 3072)
  const rootCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: name('Facteur Dev Peppol Root CA'), notBefore: caNotBefore, notAfter: caNotAfter, keys: rootKeys, signingAlgorithm,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(caUsage, true), await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey, false, crypto)],
  }, crypto)
  const root: IssuedCertificate = { name: 'root-ca', role: 'root', certificate: parseCertificate(rootCert), privateKey: await keyObject(rootKeys.privateKey), chain: [] }

  const issue = async (issuer: { cert: x509.X509Certificate; keys: CryptoKeyPair; chain: ParsedCertificate[] }, subject: x509.JsonName, keys: CryptoKeyPair, validity: Required<Validity>, extensions: x509.Extension[]) => {
    return x509.X509CertificateGenerator.create({
      serialNumber: serial(), subject, issuer: issuer.cert.subjectName, notBefore: validity.notBefore, notAfter: validity.notAfter,
      publicKey: keys.publicKey, signingKey: issuer.keys.privateKey, signingAlgorithm,
      extensions: [...extensions, await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto), await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey, false, crypto)],
    }, crypto)
  }
  const rootIssuer = { cert: rootCert, keys: rootKeys, chain: [root.certificate] }
  const makeCa = async (cn: string, fileName: 'ap-ca' | 'smp-ca') => {
    const keys = await rsaKeys(options.caKeyBits ?? 3072)
    const cert = await issue(rootIssuer, name(cn), keys, { notBefore: caNotBefore, notAfter: caNotAfter },
      [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(caUsage, true)])
    const issued: IssuedCertificate = { name: fileName, role: fileName, certificate: parseCertificate(cert), privateKey: await keyObject(keys.privateKey), chain: [root.certificate] }
    return { issued, issuer: { cert, keys, chain: [issued.certificate, root.certificate] } }
  }
  const apCa = await makeCa('Facteur Dev Peppol Access Point CA', 'ap-ca')
  const smpCa = await makeCa('Facteur Dev Peppol SMP CA', 'smp-ca')

  const endCertificate = async (kind: 'ap' | 'smp', cn: string, validity: Validity | undefined, fileName = cn): Promise<IssuedCertificate> => {
    const keys = await rsaKeys(options.keyBits ?? 2048)
    const issuer = kind === 'ap' ? apCa.issuer : smpCa.issuer
    const cert = await issue(issuer, name(cn, kind === 'ap' ? 'PEPPOL TEST AP' : 'PEPPOL TEST SMP'), keys, leafValidity(validity), [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    ])
    return { name: fileName, role: kind, certificate: parseCertificate(cert), privateKey: await keyObject(keys.privateKey), chain: issuer.chain }
  }
  const extra: Record<string, IssuedCertificate> = {}
  for (const e of options.extra ?? []) extra[e.name] = await endCertificate(e.kind, e.cn, e, e.name)
  return {
    root, apCa: apCa.issued, smpCa: smpCa.issued,
    ap: await endCertificate('ap', seatId, options.validity?.ap),
    peer: await endCertificate('ap', peerSeatId, options.validity?.peer),
    smp: await endCertificate('smp', smpId, options.validity?.smp),
    extra,
  }
}

export type WrittenFile = { path: string; what: string; secret: boolean }
export type WrittenPki = {
  dir: string
  files: WrittenFile[]
  /** Per AP/SMP certificate name: its files. */
  entries: Record<string, { cert: string; key: string; chain: string; p12: string; passwordFile: string; password: string }>
  rootCa: string
  apCa: string
  smpCa: string
}

/** The files writeDevPki writes into `dir` for AP and SMP certificates of these names (to look for existing ones first). */
export function devPkiPaths(names: string[], dir: string): string[] {
  return ['root-ca.pem', 'ap-ca.pem', 'smp-ca.pem', ...names.flatMap((n) => [`${n}.pem`, `${n}.key.pem`, `${n}.chain.pem`, `${n}.p12`, `${n}.p12.password`])]
    .map((f) => join(resolve(dir), f))
}

/**
 * Writes the dev PKI into `dir` (created, mode 0700): the three CA certificates (their keys are not written), and
 * for each AP and SMP certificate: `<name>.pem`, `<name>.key.pem` (PKCS#8, mode 0600), `<name>.chain.pem` (the
 * certificate then its issuers), `<name>.p12` (key and chain) and `<name>.p12.password` (a fresh random
 * password, mode 0600). Refuses (CONFLICT) when one of these files exists, unless `force`.
 */
export function writeDevPki(pki: DevPki, dir: string, options: { force?: boolean; password?: () => string } = {}): WrittenPki {
  const target = resolve(dir)
  const existing = devPkiPaths([pki.ap, pki.peer, pki.smp, ...Object.values(pki.extra)].map((e) => e.name), target).filter((p) => existsSync(p))
  if (existing.length > 0 && !options.force) {
    throw new FacteurError('CONFLICT', `${existing.length} file(s) of a PKI already in ${target} (${existing.slice(0, 3).map((p) => p.slice(target.length + 1)).join(', ')}${existing.length > 3 ? ', …' : ''})`)
  }
  mkdirSync(target, { recursive: true, mode: 0o700 })
  const files: WrittenFile[] = []
  const write = (file: string, content: string | Buffer, what: string, secret = false) => {
    const path = join(target, file)
    const temp = `${path}.${process.pid}.tmp`
    writeFileSync(temp, content, { mode: secret ? 0o600 : 0o644 })
    chmodSync(temp, secret ? 0o600 : 0o644) // the umask may not widen it, but an overwritten file must not keep a wider mode
    renameSync(temp, path)
    files.push({ path, what, secret })
    return path
  }
  const rootCa = write('root-ca.pem', pki.root.certificate.pem, `root CA certificate (${pki.root.certificate.subjectCN})`)
  const apCa = write('ap-ca.pem', pki.apCa.certificate.pem, `AP CA certificate (${pki.apCa.certificate.subjectCN}), issuer of the access points' certificates: what access points trust`)
  const smpCa = write('smp-ca.pem', pki.smpCa.certificate.pem, `SMP CA certificate (${pki.smpCa.certificate.subjectCN}), issuer of the SMP certificate: what SMP clients trust`)
  const entries: WrittenPki['entries'] = {}
  const labels = new Map<IssuedCertificate, string>([[pki.ap, 'the hub\'s access point'], [pki.peer, 'a peer access point'], [pki.smp, 'the SMP']])
  for (const e of [pki.ap, pki.peer, pki.smp, ...Object.values(pki.extra)]) {
    const label = labels.get(e) ?? `test ${e.role === 'ap' ? 'access point' : 'SMP'} certificate ${e.name} (${e.certificate.notBefore.toISOString().slice(0, 10)} → ${e.certificate.notAfter.toISOString().slice(0, 10)})`
    const password = options.password?.() ?? randomBytes(18).toString('base64url')
    entries[e.name] = {
      cert: write(`${e.name}.pem`, e.certificate.pem, `certificate of ${label} (CN=${e.certificate.subjectCN})`),
      key: write(`${e.name}.key.pem`, e.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, `private key of ${label}`, true),
      chain: write(`${e.name}.chain.pem`, [e.certificate, ...e.chain].map((c) => c.pem).join(''), `certificate of ${label} followed by its issuers`),
      p12: write(`${e.name}.p12`, writePkcs12(e.privateKey, e.certificate, e.chain, password, { friendlyName: e.name.toLowerCase() }), `PKCS#12 keystore of ${label} (key, certificate, chain)`, true),
      passwordFile: write(`${e.name}.p12.password`, `${password}\n`, `password of ${e.name}.p12`, true),
      password,
    }
  }
  return { dir: target, files, entries, rootCa, apCa, smpCa }
}
