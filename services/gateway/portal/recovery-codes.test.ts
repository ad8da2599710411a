import { createHash } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { hashRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from './recovery-codes.js'

describe('recovery codes', () => {
  test('ten by default, distinct, in groups, from an alphabet without 0, o, 1, l or i', () => {
    const { codes, hashes } = newRecoveryCodes()
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    for (const code of codes) expect(code).toMatch(/^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$/)
    expect(hashes).toEqual(codes.map(hashRecoveryCode))
  })

  test('carry about 79 bits: every one of the 31 characters turns up, evenly, at every position', () => {
    const codes = newRecoveryCodes(100).codes.concat(...Array.from({ length: 19 }, () => newRecoveryCodes(100).codes))
    const chars = codes.map((c) => c.replaceAll('-', ''))
    const counts = new Map<string, number>()
    for (const c of chars.join('')) counts.set(c, (counts.get(c) ?? 0) + 1)
    expect([...counts.keys()].sort().join('')).toBe('23456789abcdefghjkmnpqrstuvwxyz')
    // 32,000 characters: about 1,032 each; 5 standard deviations (~160) either side.
    for (const n of counts.values()) expect(Math.abs(n - 32_000 / 31)).toBeLessThan(160)
    // Every position varies (a constant position would lose 5 bits).
    for (let i = 0; i < 16; i++) expect(new Set(chars.map((c) => c[i])).size).toBeGreaterThan(25)
  })

  test.each([0, -1, 1.5, 101])('refuses to make %d codes', (count) => {
    expect(() => newRecoveryCodes(count)).toThrow(RangeError)
  })

  test('the hash is the SHA-256 (hex) of the code without dashes, in lower case', () => {
    expect(hashRecoveryCode('abcd-efgh-jkmn-pqrs')).toBe(createHash('sha256').update('abcdefghjkmnpqrs').digest('hex'))
  })

  test.each([
    'abcd-efgh-jkmn-pqrs',
    'ABCD-EFGH-JKMN-PQRS',
    'abcdefghjkmnpqrs',
    ' abcd efgh jkmn pqrs ',
    'abcd – efgh — jkmn−pqrs', // dashes a phone or word processor puts in
    'ＡＢＣＤ－ＥＦＧＨ－ＪＫＭＮ－ＰＱＲＳ', // full-width
  ])('%j is the same code', (typed) => {
    expect(normaliseRecoveryCode(typed)).toBe('abcdefghjkmnpqrs')
    expect(hashRecoveryCode(typed)).toBe(hashRecoveryCode('abcd-efgh-jkmn-pqrs'))
  })

  test('another code is another hash', () => {
    expect(hashRecoveryCode('abcd-efgh-jkmn-pqrt')).not.toBe(hashRecoveryCode('abcd-efgh-jkmn-pqrs'))
    expect(normaliseRecoveryCode('abcd_efgh')).toBe('abcd_efgh') // only spaces and dashes go
  })
})
