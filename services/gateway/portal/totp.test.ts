import { createHmac } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { newTotpSecret, totpUri, verifyTotp } from './totp.js'

// Our own RFC 6238 (HOTP of RFC 4226 §5.3 on the 30-second step), to check otplib against, not with itself.
function hotp(key: Buffer, counter: number, digits: number): string {
  const message = Buffer.alloc(8)
  message.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac('sha1', key).update(message).digest()
  const offset = mac[mac.length - 1]! & 0x0f
  const binary = mac.readUInt32BE(offset) & 0x7fffffff
  return String(binary % 10 ** digits).padStart(digits, '0')
}
const step = (seconds: number) => Math.floor(seconds / 30)
const totp = (key: Buffer, seconds: number, digits = 6) => hotp(key, step(seconds), digits)

// RFC 4648 base32, to hand the RFC's ASCII key to verifyTotp.
function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0')
  return (bits.match(/.{1,5}/g) ?? []).map((b) => alphabet[parseInt(b.padEnd(5, '0'), 2)]).join('')
}
function unbase32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  const bits = [...text].map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0')).join('')
  return Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)))
}

const rfcKey = Buffer.from('12345678901234567890', 'ascii')
// RFC 6238 Appendix B, SHA-1 rows.
const vectors: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
]

describe('the test\'s own RFC 6238', () => {
  test.each(vectors)('at %d s gives %s (8 digits)', (seconds, code) => {
    expect(totp(rfcKey, seconds, 8)).toBe(code)
  })

  test('base32 of the RFC key', () => {
    expect(base32(rfcKey)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')
    expect(unbase32('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toEqual(rfcKey)
  })
})

describe('verifyTotp', () => {
  const secret = base32(rfcKey)

  test.each(vectors)('accepts the RFC code at %d s (its last 6 digits), with its step', (seconds, code) => {
    expect(verifyTotp(secret, code.slice(2), { lastStep: null, now: seconds * 1000 })).toEqual({ ok: true, step: step(seconds) })
  })

  // A fixed moment well inside a step, and codes of the steps around it, all different.
  const now = 1_767_225_615_000 // 2026-01-01T00:00:15Z
  const current = step(now / 1000)
  const at = (delta: number) => hotp(rfcKey, current + delta, 6)
  test('the codes of the five steps around now are distinct (else the tests below would prove nothing)', () => {
    expect(new Set([-2, -1, 0, 1, 2].map(at)).size).toBe(5)
  })

  test.each([-1, 0, 1])('accepts the code of step %d (clock drift) and returns its step', (delta) => {
    expect(verifyTotp(secret, at(delta), { lastStep: null, now })).toEqual({ ok: true, step: current + delta })
  })

  test.each([-2, 2])('refuses the code of step %d as wrong', (delta) => {
    expect(verifyTotp(secret, at(delta), { lastStep: null, now })).toEqual({ ok: false, reason: 'wrong' })
  })

  test('at the very start and end of a step the window is still one step either side', () => {
    const start = current * 30_000
    expect(verifyTotp(secret, at(-1), { lastStep: null, now: start })).toEqual({ ok: true, step: current - 1 })
    expect(verifyTotp(secret, at(-2), { lastStep: null, now: start })).toEqual({ ok: false, reason: 'wrong' })
    expect(verifyTotp(secret, at(1), { lastStep: null, now: start + 29_999 })).toEqual({ ok: true, step: current + 1 })
    expect(verifyTotp(secret, at(2), { lastStep: null, now: start + 29_999 })).toEqual({ ok: false, reason: 'wrong' })
  })

  test('a code is used once: the same code, or one of an earlier step, is refused as replayed', () => {
    const first = verifyTotp(secret, at(0), { lastStep: null, now })
    expect(first).toEqual({ ok: true, step: current })
    const lastStep = first.ok ? first.step : null
    expect(verifyTotp(secret, at(0), { lastStep, now })).toEqual({ ok: false, reason: 'replayed' })
    expect(verifyTotp(secret, at(0), { lastStep, now: now + 10_000 })).toEqual({ ok: false, reason: 'replayed' })
    expect(verifyTotp(secret, at(-1), { lastStep, now })).toEqual({ ok: false, reason: 'replayed' })
    // The next step's code is still good, and a wrong code is still wrong.
    expect(verifyTotp(secret, at(1), { lastStep, now })).toEqual({ ok: true, step: current + 1 })
    expect(verifyTotp(secret, at(2), { lastStep, now })).toEqual({ ok: false, reason: 'wrong' })
  })

  test('a code of a step after lastStep is accepted', () => {
    expect(verifyTotp(secret, at(0), { lastStep: current - 1, now })).toEqual({ ok: true, step: current })
    expect(verifyTotp(secret, at(0), { lastStep: 0, now })).toEqual({ ok: true, step: current })
  })

  test('a lastStep ahead of the window (a clock that ran fast) refuses everything, without throwing', () => {
    expect(verifyTotp(secret, at(1), { lastStep: current + 1, now })).toEqual({ ok: false, reason: 'replayed' })
    expect(verifyTotp(secret, at(1), { lastStep: current + 50, now })).toEqual({ ok: false, reason: 'replayed' })
    expect(verifyTotp(secret, at(2), { lastStep: current + 50, now })).toEqual({ ok: false, reason: 'wrong' })
  })

  test('spaces in the code are ignored; full-width digits are digits', () => {
    const code = at(0)
    expect(verifyTotp(secret, ` ${code.slice(0, 3)} ${code.slice(3)} `, { lastStep: null, now })).toEqual({ ok: true, step: current })
    const wide = [...code].map((d) => String.fromCharCode(0xff10 + Number(d))).join('')
    expect(verifyTotp(secret, wide, { lastStep: null, now })).toEqual({ ok: true, step: current })
  })

  test.each(['', '12345', '1234567', 'abcdef', '12-345', '12345a', '１２３４５', `${'1'.repeat(6)}\u0000`])('refuses %j as malformed', (code) => {
    expect(verifyTotp(secret, code, { lastStep: null, now })).toEqual({ ok: false, reason: 'malformed' })
  })

  test('uses the clock when no time is given', () => {
    const seconds = Date.now() / 1000
    // Should the step end between here and the check, the code is still within the window.
    const code = totp(rfcKey, seconds)
    expect(verifyTotp(secret, code, { lastStep: null })).toMatchObject({ ok: true })
  })
})

describe('secrets and enrolment', () => {
  test('a new secret is 160 random bits in base32', () => {
    const secrets = Array.from({ length: 50 }, newTotpSecret)
    expect(new Set(secrets).size).toBe(50)
    for (const s of secrets) {
      expect(s).toMatch(/^[A-Z2-7]{32}$/)
      expect(unbase32(s)).toHaveLength(20)
    }
  })

  test('a new secret works with verifyTotp (a code made by the test\'s own TOTP)', () => {
    const secret = newTotpSecret()
    const now = 1_767_225_615_000
    expect(verifyTotp(secret, totp(unbase32(secret), now / 1000), { lastStep: null, now })).toEqual({ ok: true, step: step(now / 1000) })
  })

  test('the enrolment URI: issuer and account escaped, SHA-1, 6 digits and 30 s implied', () => {
    const uri = totpUri({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', account: 'alice+ops@acme.fr', issuer: 'Facteur Démo & Co' })
    expect(uri).toBe('otpauth://totp/Facteur%20D%C3%A9mo%20%26%20Co:alice%2Bops%40acme.fr?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Facteur%20D%C3%A9mo%20%26%20Co')
    const parsed = new URL(uri)
    expect(parsed.protocol).toBe('otpauth:')
    expect(parsed.searchParams.get('issuer')).toBe('Facteur Démo & Co')
    expect(decodeURIComponent(parsed.pathname.slice(1))).toBe('Facteur Démo & Co:alice+ops@acme.fr')
  })

  test('a colon in the issuer or account is refused (authenticator apps would split on it)', () => {
    expect(() => totpUri({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', account: 'a:b@acme.fr', issuer: 'Facteur' })).toThrow(RangeError)
    expect(() => totpUri({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', account: 'alice@acme.fr', issuer: 'Facteur: prod' })).toThrow(RangeError)
  })
})
