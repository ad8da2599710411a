import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import {
  authenticationBody, authenticationOptions, counterMovesOn, keyName, registrationBody, registrationOptions, relyingParty,
  takeChallenge, transportsOf, userHandle, verifyAuthentication, verifyRegistration, withChallenge, type SecurityKey,
} from './webauthn.js'

// A software authenticator (WebAuthn §6.1, §6.5; CTAP2's CBOR subset), written here so that the library is checked
// against an authenticator it did not make: ES256 keys, `none` attestation.
function cbor(v: unknown): Buffer {
  const head = (major: number, n: number) => {
    if (n < 24) return Buffer.from([(major << 5) | n])
    if (n < 256) return Buffer.from([(major << 5) | 24, n])
    const b = Buffer.alloc(3); b[0] = (major << 5) | 25; b.writeUInt16BE(n, 1); return b
  }
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v)
  if (typeof v === 'string') { const t = Buffer.from(v, 'utf8'); return Buffer.concat([head(3, t.length), t]) }
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v])
  if (v instanceof Map) return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])])
  throw new Error(`no CBOR for ${String(v)}`)
}
const b64u = (b: Buffer) => b.toString('base64url')
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest()

type Authenticator = { credentialId: Buffer; privateKey: KeyObject; cose: Buffer; counter: number; keepsNoCounter?: boolean }
function newAuthenticator(counter = 0): Authenticator {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' })
  const cose = cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]))
  return { credentialId: randomBytes(32), privateKey, cose, counter }
}
const counterBytes = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }
const clientData = (type: string, challenge: string, origin: string) => Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }))

function create(a: Authenticator, o: { challenge: string; rpID: string; origin: string }) {
  const cred = Buffer.alloc(2); cred.writeUInt16BE(a.credentialId.length)
  const authData = Buffer.concat([sha256(o.rpID), Buffer.from([0x45]), counterBytes(a.counter), Buffer.alloc(16), cred, a.credentialId, a.cose])
  const attestationObject = cbor(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]))
  return {
    id: b64u(a.credentialId), rawId: b64u(a.credentialId), type: 'public-key',
    response: { clientDataJSON: b64u(clientData('webauthn.create', o.challenge, o.origin)), attestationObject: b64u(attestationObject), transports: ['usb', 'carrier-pigeon'] },
    clientExtensionResults: {},
  }
}
function get(a: Authenticator, o: { challenge: string; rpID: string; origin: string }, signWith = a.privateKey) {
  if (!a.keepsNoCounter) a.counter += 1
  const authData = Buffer.concat([sha256(o.rpID), Buffer.from([0x05]), counterBytes(a.counter)])
  const data = clientData('webauthn.get', o.challenge, o.origin)
  const signature = sign('sha256', Buffer.concat([authData, sha256(data)]), signWith)
  return {
    id: b64u(a.credentialId), rawId: b64u(a.credentialId), type: 'public-key',
    response: { clientDataJSON: b64u(data), authenticatorData: b64u(authData), signature: b64u(signature) },
    clientExtensionResults: {},
  }
}

const rp = { rpID: 'portail.example.fr', origin: 'https://portail.example.fr' }
const person = { id: randomUUID(), email: 'sam@example.org', name: 'Sam' }
const stored = (credentialId: string, counter: number): SecurityKey => ({
  id: randomUUID(), credentialId, personId: person.id, name: 'clé', transports: ['usb'], counter, createdAt: new Date(), lastUsedAt: null,
})

describe('the ceremonies, against a software authenticator', () => {
  test('registration options: the RP is the request\'s host, keys already registered are excluded, UV preferred, no attestation', async () => {
    const keys = [stored('a'.repeat(43), 3)]
    const o = await registrationOptions({ ...rp, person, keys })
    expect(o.rp).toEqual({ name: 'Facteur', id: 'portail.example.fr' })
    expect(o.user.id).toBe(b64u(Buffer.from(person.id.replace(/-/g, ''), 'hex')))
    expect(o.user.name).toBe('sam@example.org')
    expect(o.excludeCredentials).toEqual([{ id: 'a'.repeat(43), transports: ['usb'], type: 'public-key' }])
    expect(o.authenticatorSelection?.userVerification).toBe('preferred')
    expect(o.attestation).toBe('none')
    expect(o.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const a = await authenticationOptions({ rpID: rp.rpID, keys })
    expect(a.allowCredentials).toEqual([{ id: 'a'.repeat(43), transports: ['usb'], type: 'public-key' }])
    expect(a.userVerification).toBe('preferred')
    expect(a.challenge).not.toBe(o.challenge)
  })

  test('a key is registered with its public key, counter and known transports; a wrong challenge, origin or RP is refused', async () => {
    const a = newAuthenticator()
    const challenge = b64u(randomBytes(32))
    const ok = await verifyRegistration({ credential: create(a, { challenge, ...rp }) as never, challenge, ...rp })
    expect(ok).toMatchObject({ ok: true, value: { credentialId: b64u(a.credentialId), counter: 0, transports: ['usb'], userVerified: true } })
    expect(Buffer.from((ok as { value: { publicKey: Uint8Array } }).value.publicKey).equals(a.cose)).toBe(true)
    for (const [label, made, expected] of [
      ['challenge', create(a, { challenge: b64u(randomBytes(32)), ...rp }), rp],
      ['origin', create(a, { challenge, rpID: rp.rpID, origin: 'https://evil.example' }), rp],
      ['RP', create(a, { challenge, rpID: 'evil.example', origin: rp.origin }), rp],
    ] as const) {
      const refused = await verifyRegistration({ credential: made as never, challenge, ...expected })
      expect(refused.ok, label).toBe(false)
    }
  })

  test('a sign-in: the stored key\'s signature passes with a counter that moves on; a replay, another key\'s signature, another RP do not', async () => {
    const a = newAuthenticator(5)
    const key = stored(b64u(a.credentialId), 5)
    const challenge = b64u(randomBytes(32))
    const first = await verifyAuthentication({ credential: get(a, { challenge, ...rp }) as never, challenge, ...rp, key, publicKey: a.cose })
    expect(first).toEqual({ ok: true, value: { counter: 6, userVerified: true } })
    // The same counter again (a copy of the key, or a replayed answer) is refused.
    a.counter = 5
    const replay = await verifyAuthentication({ credential: get(a, { challenge, ...rp }) as never, challenge, ...rp, key: { ...key, counter: 6 }, publicKey: a.cose })
    expect(replay.ok).toBe(false)
    const other = newAuthenticator()
    const forged = await verifyAuthentication({ credential: get(a, { challenge, ...rp }, other.privateKey) as never, challenge, ...rp, key: { ...key, counter: 6 }, publicKey: a.cose })
    expect(forged).toEqual({ ok: false, reason: 'signature not valid' })
    const elsewhere = await verifyAuthentication({ credential: get(a, { challenge, rpID: 'evil.example', origin: rp.origin }) as never, challenge, ...rp, key: { ...key, counter: 6 }, publicKey: a.cose })
    expect(elsewhere.ok).toBe(false)
  })

  test('a key that keeps no counter (always 0) passes each time', async () => {
    const a = { ...newAuthenticator(0), keepsNoCounter: true }
    const key = stored(b64u(a.credentialId), 0)
    for (let i = 0; i < 2; i++) {
      const challenge = b64u(randomBytes(32))
      expect(await verifyAuthentication({ credential: get(a, { challenge, ...rp }) as never, challenge, ...rp, key, publicKey: a.cose })).toEqual({ ok: true, value: { counter: 0, userVerified: true } })
    }
  })
})

describe('the pure parts', () => {
  test.each([
    [0, 0, true], [0, 1, true], [5, 6, true], [5, 5, false], [6, 5, false], [5, 0, false], [2 ** 31, 2 ** 32 - 1, true],
  ])('counter stored %d, received %d: accepted %s', (was, now, ok) => expect(counterMovesOn(was, now)).toBe(ok))

  test('a key\'s name is trimmed, folded, 1 to 60 characters, no control characters', () => {
    expect(keyName('  Clé\tbleue \n du bureau ')).toBe('Clé bleue du bureau')
    expect(keyName('a\u0000b\u202Ec')).toBe('a b c')
    expect(keyName('é'.repeat(60))).toBe('é'.repeat(60))
    for (const bad of ['', '   ', 'x'.repeat(61), 42, null, undefined, ['a']]) expect(keyName(bad)).toBeNull()
  })

  test('transports: only the ones WebAuthn names, once each', () => {
    expect(transportsOf(['usb', 'nfc', 'usb', 'pigeon', 3, 'hybrid'])).toEqual(['usb', 'nfc', 'hybrid'])
    expect(transportsOf('usb')).toEqual([])
  })

  test('bodies: the shape of a credential\'s JSON is checked before the library sees it', () => {
    const a = newAuthenticator()
    const made = create(a, { challenge: 'c', ...rp })
    const reg = registrationBody({ name: ' Ma clé ', credential: made })
    expect(reg.ok && reg.value.name).toBe('Ma clé')
    expect(registrationBody({ name: '', credential: made })).toEqual({ ok: false, problem: 'name' })
    for (const bad of [null, 'x', [], {}, { name: 'k' }, { name: 'k', credential: { ...made, type: 'password' } },
      { name: 'k', credential: { ...made, id: 'not base64url!' } }, { name: 'k', credential: { ...made, response: { clientDataJSON: 'x' } } },
      { name: 'k', credential: { ...made, response: 'x' } }, { name: 'k', credential: { ...made, clientExtensionResults: [] } }]) {
      expect(registrationBody(bad)).toEqual({ ok: false, problem: 'shape' })
    }
    const used = get(a, { challenge: 'c', ...rp })
    const auth = authenticationBody({ credential: { ...used, clientExtensionResults: undefined, response: { ...used.response, userHandle: null } } })
    expect(auth.ok && auth.value.credential.clientExtensionResults).toEqual({})
    expect(auth.ok && auth.value.credential.response.userHandle).toBeUndefined()
    expect(authenticationBody({ credential: made })).toEqual({ ok: false, problem: 'shape' })
    expect(authenticationBody({ credential: { ...used, response: { ...used.response, signature: 42 } } })).toEqual({ ok: false, problem: 'shape' })
  })

  test('a challenge is kept for one purpose, a few minutes, and taken once; other pending values stay', () => {
    const now = Date.now()
    const pending = withChallenge({ next: '/portal/sent' }, 'sign-in', 'abc', now)
    expect(takeChallenge(pending, 'sign-in', now + 1000)).toEqual({ challenge: 'abc', rest: { next: '/portal/sent' } })
    expect(takeChallenge(pending, 'register', now + 1000)).toEqual({ challenge: null, rest: { next: '/portal/sent' } })
    expect(takeChallenge(pending, 'sign-in', now + 6 * 60_000).challenge).toBeNull()
    expect(takeChallenge({ next: '/portal' }, 'sign-in').challenge).toBeNull()
    expect(takeChallenge({ webauthn: 'abc' }, 'sign-in').challenge).toBeNull()
  })

  test('the relying party of the portal\'s origin: its host name, and the origin with the port', () => {
    expect(relyingParty('http://localhost:8080')).toEqual({ rpID: 'localhost', origin: 'http://localhost:8080' })
    expect(relyingParty('https://factures.example.org')).toEqual({ rpID: 'factures.example.org', origin: 'https://factures.example.org' })
    expect(userHandle('00112233-4455-6677-8899-aabbccddeeff')).toEqual(Uint8Array.from(Buffer.from('00112233445566778899aabbccddeeff', 'hex')))
  })
})
