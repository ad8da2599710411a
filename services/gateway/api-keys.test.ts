import { describe, expect, test } from 'vitest'
import { bearerToken, generateApiKey, hashApiKey, refusalDetail } from './api-keys.js'

describe('API keys', () => {
  test('generated keys are distinct, prefixed and carry 192 random bits', () => {
    const keys = new Set(Array.from({ length: 100 }, generateApiKey))
    expect(keys.size).toBe(100)
    for (const k of keys) expect(k).toMatch(/^fct_[A-Za-z0-9_-]{32}$/)
  })

  test('only the SHA-256 of a key is stored', () => {
    expect(hashApiKey('fct_abc')).toMatch(/^[0-9a-f]{64}$/)
    expect(hashApiKey('fct_abc')).not.toBe(hashApiKey('fct_abd'))
  })

  test.each([
    ['Bearer fct_abc', 'fct_abc'],
    ['bearer   fct_abc ', 'fct_abc'],
    ['Basic dXNlcjpwYXNz', null],
    ['Bearer', null],
    [undefined, null],
  ])('Authorization %j gives %j', (header, token) => {
    expect(bearerToken(header)).toBe(token)
  })
})

describe('why a key is refused', () => {
  const at = new Date('2026-11-29T10:00:00.000Z')
  test.each([
    [{ ok: false as const, reason: 'unknown' as const }, 'this API key is not known'],
    [{ ok: false as const, reason: 'revoked' as const, at }, 'this API key was revoked at 2026-11-29T10:00:00.000Z; ask the operator for a new key'],
    [{ ok: false as const, reason: 'expired' as const, at }, 'this API key was replaced and stopped working at 2026-11-29T10:00:00.000Z; use the key that replaced it'],
  ])('%j', (refusal, detail) => {
    expect(refusalDetail(refusal)).toBe(detail)
  })
})
