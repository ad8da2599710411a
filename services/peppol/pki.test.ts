// The dev PKI, chain checks and the hub's identity, on a PKI made in a temporary folder; keytool (Java 17) and
// OpenSSL read what is written (each test is skipped, with a message, only when its tool is not on PATH).
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { createPrivateKey, createSign, createVerify, webcrypto } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FacteurError } from '../kit/errors.js'
import { loadConfig } from '../kit/config.js'
import {
  checkChain, createDevPki, loadIdentity, parseCertificate, peppolIdentityFromConfig, pkcs12Kdf, readPkcs12, writeDevPki, writePkcs12, x509,
  type DevPki, type IssuedCertificate, type WrittenPki,
} from './pki.js'

const onPath = (tool: string) => !spawnSync(tool, ['-help'], { stdio: 'ignore' }).error
const hasKeytool = onPath('keytool')
const hasOpenssl = !spawnSync('openssl', ['version'], { stdio: 'ignore' }).error
if (!hasKeytool) console.warn('pki.test.ts: keytool is not on PATH: the Java KeyStore tests are SKIPPED')
if (!hasOpenssl) console.warn('pki.test.ts: openssl is not on PATH: the OpenSSL second-opinion tests are SKIPPED')

const DAY = 86_400_000
const now = new Date()
let dir: string
let pki: DevPki
let other: DevPki
let written: WrittenPki

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'facteur-pki-'))
  // 2048-bit CAs keep the test quick; `pki dev` makes 3072-bit ones.
  pki = await createDevPki({
    now, caKeyBits: 2048,
    extra: [
      { name: 'expired', kind: 'ap', cn: 'POP000009', notBefore: new Date(now.getTime() - 800 * DAY), notAfter: new Date(now.getTime() - DAY) },
      { name: 'future', kind: 'ap', cn: 'POP000008', notBefore: new Date(now.getTime() + 30 * DAY), notAfter: new Date(now.getTime() + 760 * DAY) },
    ],
  })
  other = await createDevPki({ caKeyBits: 2048, validityDays: 30 })
  written = writeDevPki(pki, join(dir, 'pki'))
}, 120_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A certificate issued under `issuer` with the given extensions, outside createDevPki. */
async function issueUnder(issuer: IssuedCertificate, cn: string, extensions: x509.Extension[]) {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  const keys = await webcrypto.subtle.generateKey({ ...alg, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['sign', 'verify'])
  const signingKey = await webcrypto.subtle.importKey('pkcs8', issuer.privateKey.export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign'])
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${cn}`, issuer: issuer.certificate.x509.subjectName, notBefore: new Date(now.getTime() - 3_600_000), notAfter: new Date(now.getTime() + 30 * DAY),
    publicKey: keys.publicKey, signingKey, signingAlgorithm: alg, extensions,
  }, webcrypto)
  return parseCertificate(cert)
}
/** The same, with its key, to issue under it in turn. */
async function caUnder(issuer: IssuedCertificate, cn: string): Promise<IssuedCertificate> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  const keys = await webcrypto.subtle.generateKey({ ...alg, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['sign', 'verify'])
  const signingKey = await webcrypto.subtle.importKey('pkcs8', issuer.privateKey.export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign'])
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${cn}`, issuer: issuer.certificate.x509.subjectName, notBefore: new Date(now.getTime() - 3_600_000), notAfter: new Date(now.getTime() + 30 * DAY),
    publicKey: keys.publicKey, signingKey, signingAlgorithm: alg, extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  }, webcrypto)
  const privateKey = createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' })
  return { name: cn, role: 'ap-ca', certificate: parseCertificate(cert), privateKey, chain: [issuer.certificate, ...issuer.chain] }
}

describe('the dev PKI', () => {
  test('root → AP CA → AP certificates, root → SMP CA → SMP certificate, shaped like Peppol\'s', () => {
    expect(pki.ap.certificate.subjectCN).toBe('POP000001')
    expect(pki.peer.certificate.subjectCN).toBe('POP000002')
    expect(pki.smp.certificate.subjectCN).toBe('SMP000001')
    expect(pki.ap.certificate.issuerCN).toBe(pki.apCa.certificate.subjectCN)
    expect(pki.smp.certificate.issuerCN).toBe(pki.smpCa.certificate.subjectCN)
    expect(pki.apCa.certificate.issuerCN).toBe(pki.root.certificate.subjectCN)
    expect([pki.root, pki.apCa, pki.smpCa].every((c) => c.certificate.isCA)).toBe(true)
    expect(pki.ap.certificate.isCA).toBe(false)
    const ap = pki.ap.certificate
    expect(ap.subject).toMatch(/O=Facteur dev PKI/)
    expect(ap.subject).toMatch(/C=FR/)
    expect(ap.x509.signatureAlgorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } })
    const usage = ap.x509.getExtension(x509.KeyUsagesExtension)!.usages
    expect(usage).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment)
    const years = (ap.notAfter.getTime() - ap.notBefore.getTime()) / (365 * DAY)
    expect(years).toBeGreaterThan(1.9)
    expect(years).toBeLessThan(2.1)
    const caUsage = pki.apCa.certificate.x509.getExtension(x509.KeyUsagesExtension)!.usages
    expect(caUsage & x509.KeyUsageFlags.keyCertSign).toBeTruthy()
    expect(pki.apCa.certificate.x509.getExtension(x509.BasicConstraintsExtension)!.pathLength).toBe(0)
  })

  test('the files: PEM certificate, key, chain and a .p12 with its password for each AP and the SMP; keys and passwords mode 0600', () => {
    for (const name of ['POP000001', 'POP000002', 'SMP000001']) {
      const e = written.entries[name]!
      expect(parseCertificate(readFileSync(e.cert, 'utf8')).subjectCN).toBe(name)
      expect(readFileSync(e.chain, 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(3)
      expect(readFileSync(e.passwordFile, 'utf8').trim()).toBe(e.password)
      for (const secret of [e.key, e.p12, e.passwordFile]) expect(statSync(secret).mode & 0o777).toBe(0o600)
    }
    expect(statSync(written.rootCa).mode & 0o777).toBe(0o644)
    expect(() => writeDevPki(pki, join(dir, 'pki'))).toThrow(/already in/)
  })

  test('the same seat id twice, or a seat id of the wrong shape, is refused before any key is made', async () => {
    await expect(createDevPki({ seatId: 'POP000001', peerSeatId: 'POP000001' })).rejects.toThrow(/must differ/)
    await expect(createDevPki({ seatId: 'pop1' })).rejects.toThrow(/P, two capital letters and six digits/)
  })
})

describe('checkChain', () => {
  test('AP and SMP certificates chain to the root through their CAs', () => {
    const ap = checkChain(pki.ap.certificate, [pki.root.certificate], now, { intermediates: [pki.apCa.certificate, pki.smpCa.certificate], usage: 'ap' })
    expect(ap).toMatchObject({ ok: true })
    expect(ap.ok && ap.chain.map((c) => c.subjectCN)).toEqual(['POP000001', 'Facteur Dev Peppol Access Point CA', 'Facteur Dev Peppol Root CA'])
    expect(checkChain(pki.smp.certificate, [pki.root.certificate], now, { intermediates: [pki.smpCa.certificate], usage: 'smp' })).toMatchObject({ ok: true })
    // Trusting the AP CA itself (as an access point does with OpenPeppol's AP CA).
    expect(checkChain(pki.peer.certificate, [pki.apCa.certificate], now, { usage: 'ap' })).toMatchObject({ ok: true })
  })

  test('an AP certificate fails against the SMP CA alone, an SMP certificate against the AP CA alone', () => {
    expect(checkChain(pki.ap.certificate, [pki.smpCa.certificate], now)).toMatchObject({ ok: false, reason: 'untrusted issuer' })
    const smp = checkChain(pki.smp.certificate, [pki.apCa.certificate], now, { intermediates: [pki.smpCa.certificate] })
    expect(smp).toMatchObject({ ok: false, reason: 'untrusted issuer' })
    expect(!smp.ok && smp.message).toMatch(/Facteur Dev Peppol SMP CA.*not a trusted CA/)
  })

  test('without the intermediate, the root alone does not make a path', () => {
    expect(checkChain(pki.ap.certificate, [pki.root.certificate], now)).toMatchObject({ ok: false, reason: 'untrusted issuer' })
  })

  test('expired and not yet valid certificates are told apart, at the time given', () => {
    expect(checkChain(pki.extra.expired!.certificate, [pki.apCa.certificate], now)).toMatchObject({ ok: false, reason: 'expired' })
    expect(checkChain(pki.extra.future!.certificate, [pki.apCa.certificate], now)).toMatchObject({ ok: false, reason: 'not yet valid' })
    expect(checkChain(pki.extra.future!.certificate, [pki.apCa.certificate], new Date(now.getTime() + 31 * DAY))).toMatchObject({ ok: true })
    const late = checkChain(pki.ap.certificate, [pki.apCa.certificate], new Date(now.getTime() + 3 * 365 * DAY))
    expect(late).toMatchObject({ ok: false, reason: 'expired' })
    expect(!late.ok && late.message).toMatch(/POP000001 expired on/)
  })

  test('a certificate from another CA of the same name is from an untrusted issuer', () => {
    expect(other.ap.certificate.issuer).toBe(pki.ap.certificate.issuer)
    expect(checkChain(other.ap.certificate, [pki.root.certificate], now, { intermediates: [pki.apCa.certificate] })).toMatchObject({ ok: false, reason: 'untrusted issuer' })
    expect(checkChain(other.ap.certificate, [pki.apCa.certificate], now)).toMatchObject({ ok: false, reason: 'untrusted issuer' })
  })

  test('an altered certificate has a bad signature', () => {
    const der = Buffer.from(pki.ap.certificate.der)
    der[der.length - 10]! ^= 0x01 // inside the signature value
    expect(checkChain(der, [pki.apCa.certificate], now)).toMatchObject({ ok: false, reason: 'bad signature' })
  })

  test('a certificate signed by an end certificate: its issuer is not a CA', async () => {
    const underAp = await issueUnder(pki.ap, 'POP000007', [])
    expect(checkChain(underAp, [pki.apCa.certificate], now, { intermediates: [pki.ap.certificate] })).toMatchObject({ ok: false, reason: 'issuer not a CA' })
  })

  test('a CA under the AP CA (pathLenConstraint 0): the path is too long', async () => {
    const sub = await caUnder(pki.apCa, 'Sub CA')
    const leaf = await issueUnder(sub, 'POP000005', [])
    expect(checkChain(leaf, [sub.certificate], now)).toMatchObject({ ok: true })
    expect(checkChain(leaf, [pki.root.certificate], now, { intermediates: [sub.certificate, pki.apCa.certificate] })).toMatchObject({ ok: false, reason: 'path too long' })
  })

  test('key usage: an AP certificate must allow digitalSignature and keyEncipherment', async () => {
    const signOnly = await issueUnder(pki.apCa, 'POP000006', [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)])
    expect(checkChain(signOnly, [pki.apCa.certificate], now, { usage: 'smp' })).toMatchObject({ ok: true })
    const ap = checkChain(signOnly, [pki.apCa.certificate], now, { usage: 'ap' })
    expect(ap).toMatchObject({ ok: false, reason: 'key usage' })
    expect(!ap.ok && ap.message).toMatch(/lacks keyEncipherment/)
  })
})

describe('loadIdentity', () => {
  const expectError = (f: () => unknown, message: RegExp) => {
    let error: unknown
    try { f() } catch (e) { error = e }
    expect(error).toBeInstanceOf(FacteurError)
    expect((error as FacteurError).code).toBe('CONFIG_INVALID')
    expect((error as Error).message).toMatch(message)
  }

  test('from the .p12 and its password: the key, the certificate and its chain', () => {
    const e = written.entries.POP000001!
    const id = loadIdentity({ keystore: e.p12, keystorePassword: e.password }, now)
    expect(id.certificate.subjectCN).toBe('POP000001')
    expect(id.certificate.serialNumber).toBe(pki.ap.certificate.serialNumber)
    expect(id.certificate.issuerCN).toBe('Facteur Dev Peppol Access Point CA')
    expect(id.certificate.notAfter.getTime()).toBeGreaterThan(now.getTime())
    expect(id.chain.map((c) => c.subjectCN)).toEqual(['Facteur Dev Peppol Access Point CA', 'Facteur Dev Peppol Root CA'])
    const signature = createSign('sha256').update('hello').sign(id.privateKey)
    expect(createVerify('sha256').update('hello').verify(id.certificate.publicKey, signature)).toBe(true)
    expect(id.source).toEqual({ kind: 'pkcs12', path: e.p12 })
  })

  test('from PEM files: the certificate (or the chain file) and the key', () => {
    const e = written.entries.POP000001!
    expect(loadIdentity({ cert: e.cert, key: e.key }, now).certificate.subjectCN).toBe('POP000001')
    const id = loadIdentity({ cert: e.chain, key: e.key }, now)
    expect(id.chain).toHaveLength(2)
    expect(id.source.kind).toBe('pem')
  })

  test('a wrong password, a missing file, a key of another certificate: precise errors', () => {
    const e = written.entries.POP000001!
    expectError(() => loadIdentity({ keystore: e.p12, keystorePassword: 'not-the-password' }, now), /POP000001\.p12: wrong password/)
    expectError(() => loadIdentity({ keystore: join(dir, 'nowhere.p12'), keystorePassword: 'x' }, now), /nowhere\.p12 does not exist/)
    expectError(() => loadIdentity({ keystore: e.p12 }, now), /no password given/)
    expectError(() => loadIdentity({ cert: e.cert, key: written.entries.POP000002!.key }, now), /POP000002\.key\.pem does not match the certificate .*CN=POP000001/)
    expectError(() => loadIdentity({ cert: e.cert, key: join(dir, 'none.key.pem') }, now), /none\.key\.pem does not exist/)
    expectError(() => loadIdentity({ cert: e.cert }, now), /no private key file/)
    // A keystore whose key and certificate are not a pair.
    const mixed = join(dir, 'mixed.p12')
    writeFileSync(mixed, writePkcs12(pki.peer.privateKey, pki.ap.certificate, [], 'pw', { friendlyName: 'mixed' }))
    expectError(() => loadIdentity({ keystore: mixed, keystorePassword: 'pw' }, now), /private key does not match any certificate/)
  })

  test('an expired or not yet valid certificate is refused with its date', () => {
    const expired = written.entries.expired!
    expectError(() => loadIdentity({ keystore: expired.p12, keystorePassword: expired.password }, now), /POP000009 expired on \d{4}-/)
    const future = written.entries.future!
    expectError(() => loadIdentity({ cert: future.cert, key: future.key }, now), /POP000008 is not valid before/)
  })

  test('the PKCS#12 key derivation gives RFC 7292\'s MAC key: a .p12 round-trips, a changed byte fails the MAC', () => {
    const p12 = writePkcs12(pki.smp.privateKey, pki.smp.certificate, [pki.smpCa.certificate], 'pässwörd', { friendlyName: 'smp', iterations: 2048 })
    const opened = readPkcs12(p12, 'pässwörd')
    expect(opened.keys).toHaveLength(1)
    expect(opened.keys[0]!.friendlyName).toBe('smp')
    expect(opened.certificates.map((c) => c.certificate.subjectCN)).toEqual(['SMP000001', 'Facteur Dev Peppol SMP CA'])
    expect(opened.certificates[0]!.localKeyId).toBe(opened.keys[0]!.localKeyId)
    const altered = Buffer.from(p12)
    altered[200]! ^= 0x01
    expect(() => readPkcs12(altered, 'pässwörd')).toThrow()
    expect(pkcs12Kdf('sha1', 64, 'x', Buffer.alloc(8), 3, 1, 20)).toHaveLength(20)
  })
})

describe('Java and OpenSSL read what is written', () => {
  test.skipIf(!hasKeytool)('keytool lists the .p12 as a PrivateKeyEntry with its chain, and can take the key out of it', () => {
    const e = written.entries.POP000001!
    const list = spawnSync('keytool', ['-list', '-v', '-keystore', e.p12, '-storetype', 'PKCS12', '-storepass', e.password], { encoding: 'utf8' })
    expect(list.status, list.stderr + list.stdout).toBe(0)
    expect(list.stdout).toMatch(/Alias name: pop000001/)
    expect(list.stdout).toMatch(/Entry type: PrivateKeyEntry/)
    expect(list.stdout).toMatch(/Certificate chain length: 3/)
    expect(list.stdout).toMatch(/Owner: CN=POP000001/)
    // -importkeystore decrypts the private key (KeyStore.getKey), which -list does not; Java then writes its own .p12
    // (Java 17's defaults), which loadIdentity opens in turn.
    const copy = join(dir, 'java-copy.p12')
    const imported = spawnSync('keytool', ['-importkeystore', '-noprompt', '-srckeystore', e.p12, '-srcstoretype', 'PKCS12', '-srcstorepass', e.password,
      '-destkeystore', copy, '-deststoretype', 'PKCS12', '-deststorepass', 'java-pass'], { encoding: 'utf8' })
    expect(imported.status, imported.stderr + imported.stdout).toBe(0)
    const id = loadIdentity({ keystore: copy, keystorePassword: 'java-pass' }, now)
    expect(id.certificate.subjectCN).toBe('POP000001')
    expect(id.chain).toHaveLength(2)
  })

  test.skipIf(!hasOpenssl)('openssl verify accepts the AP chain (root trusted, AP CA untrusted) and refuses the AP certificate under the SMP CA', () => {
    const verify = (...args: string[]) => spawnSync('openssl', ['verify', ...args], { encoding: 'utf8' })
    const ok = verify('-CAfile', written.rootCa, '-untrusted', written.apCa, written.entries.POP000001!.cert)
    expect(ok.status, ok.stderr + ok.stdout).toBe(0)
    expect(verify('-CAfile', written.rootCa, '-untrusted', written.smpCa, written.entries.SMP000001!.cert).status).toBe(0)
    expect(verify('-CAfile', written.rootCa, '-untrusted', written.smpCa, written.entries.POP000001!.cert).status).not.toBe(0)
  })

  test.skipIf(!hasOpenssl)('openssl reads the .p12 (AES-256-CBC, PBKDF2-SHA256, HMAC-SHA256 MAC); loadIdentity reads OpenSSL\'s, 3DES and SHA-1 included', () => {
    const e = written.entries.POP000001!
    const info = spawnSync('openssl', ['pkcs12', '-info', '-noout', '-in', e.p12, '-passin', `file:${e.passwordFile}`], { encoding: 'utf8' })
    expect(info.status, info.stderr).toBe(0)
    expect(info.stderr).toMatch(/MAC: sha256/)
    expect(info.stderr).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 10000, PRF hmacWithSHA256/)
    for (const [name, extra] of [['openssl-default.p12', []], ['openssl-3des.p12', ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']]] as const) {
      const out = join(dir, name)
      const made = spawnSync('openssl', ['pkcs12', '-export', '-in', e.chain, '-inkey', e.key, '-passout', 'pass:open-sesame', '-out', out, ...extra], { encoding: 'utf8' })
      expect(made.status, made.stderr).toBe(0)
      const id = loadIdentity({ keystore: out, keystorePassword: 'open-sesame' }, now)
      expect(id.certificate.subjectCN).toBe('POP000001')
      expect(id.chain).toHaveLength(2)
      expect(() => loadIdentity({ keystore: out, keystorePassword: 'open-sesame!' }, now)).toThrow(/wrong password/)
    }
  })
})

describe('peppolIdentityFromConfig and the Peppol settings', () => {
  const env = () => {
    const e = written.entries.POP000001!
    return { FACTEUR_PEPPOL_SEAT_ID: 'POP000001', FACTEUR_PEPPOL_KEYSTORE: e.p12, FACTEUR_PEPPOL_KEYSTORE_PASSWORD: e.password, FACTEUR_PEPPOL_AP_CA: written.apCa, FACTEUR_PEPPOL_SMP_CA: written.smpCa }
  }

  test('Peppol is off by default: no seat id, no identity; the test SML zone', () => {
    const config = loadConfig({})
    expect(config.peppolSeatId).toBeNull()
    expect(config.peppolSmlZone).toBe('participant.sml.test.tech.peppol.org')
    expect(config.peppolSmpUrl).toBeNull()
    expect(peppolIdentityFromConfig(config)).toBeNull()
  })

  test('the settings `pki dev` prints give the hub its identity and its trusted CAs', () => {
    const identity = peppolIdentityFromConfig(loadConfig({ ...env(), FACTEUR_PEPPOL_SMP_URL: 'http://127.0.0.1:8888/' }), now)
    expect(identity?.seatId).toBe('POP000001')
    expect(identity?.identity.certificate.subjectCN).toBe('POP000001')
    expect(identity?.apCAs.map((c) => c.subjectCN)).toEqual(['Facteur Dev Peppol Access Point CA'])
    expect(identity?.smpCAs.map((c) => c.subjectCN)).toEqual(['Facteur Dev Peppol SMP CA'])
    expect(identity?.smpUrl).toBe('http://127.0.0.1:8888')
    const pem = peppolIdentityFromConfig(loadConfig({ ...env(), FACTEUR_PEPPOL_KEYSTORE: '', FACTEUR_PEPPOL_CERT: written.entries.POP000001!.chain, FACTEUR_PEPPOL_KEY: written.entries.POP000001!.key }), now)
    expect(pem?.identity.source.kind).toBe('pem')
  })

  test('what is missing or wrong is named', () => {
    expect(() => peppolIdentityFromConfig(loadConfig({ FACTEUR_PEPPOL_SEAT_ID: 'POP000001' }), now)).toThrow(/has no key: set FACTEUR_PEPPOL_KEYSTORE/)
    expect(() => peppolIdentityFromConfig(loadConfig({ ...env(), FACTEUR_PEPPOL_SEAT_ID: 'POP000002' }), now)).toThrow(/is for CN=POP000001/)
    expect(() => peppolIdentityFromConfig(loadConfig({ ...env(), FACTEUR_PEPPOL_AP_CA: '' }), now)).toThrow(/FACTEUR_PEPPOL_AP_CA is not set/)
    expect(() => peppolIdentityFromConfig(loadConfig({ ...env(), FACTEUR_PEPPOL_KEYSTORE_PASSWORD: 'nope' }), now)).toThrow(/wrong password .*FACTEUR_PEPPOL_KEYSTORE_PASSWORD/)
    // The hub's certificate must chain to the AP CA it trusts.
    expect(() => peppolIdentityFromConfig(loadConfig({ ...env(), FACTEUR_PEPPOL_AP_CA: written.smpCa }), now)).toThrow(/fails against FACTEUR_PEPPOL_AP_CA \(untrusted issuer\)/)
    expect(() => loadConfig({ FACTEUR_PEPPOL_SEAT_ID: 'pop-1' })).toThrow(/FACTEUR_PEPPOL_SEAT_ID="pop-1": a Peppol seat id/)
    expect(() => loadConfig({ FACTEUR_PEPPOL_SMP_URL: 'smp.local' })).toThrow(/FACTEUR_PEPPOL_SMP_URL="smp.local": not a URL/)
    expect(() => loadConfig({ FACTEUR_PEPPOL_SML_ZONE: 'not a zone' })).toThrow(/expected a DNS zone/)
  })
})
