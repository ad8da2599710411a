// Recovery codes: single-use codes that stand in for the second factor when the authenticator is lost.
// 16 characters from a 31-character alphabet without 0/o, 1/l/i (nothing to misread on paper): 79 random bits.
// Being random and that long, a plain SHA-256 is the right hash (as for API keys, api-keys.ts): a slow password hash
// protects what people choose, not this. The hash is unsalted, so a stolen table is attacked all at once: against
// 100,000 stored codes, at 10^10 SHA-256 a second, finding any one takes about 13 minutes with 12 characters
// (59 bits), 23 years with 16. Hence 4 groups of 4, not 3.
import { createHash, randomInt } from 'node:crypto'

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'
const GROUPS = 4
const GROUP_LENGTH = 4

/** `count` distinct new codes (`xxxx-xxxx-xxxx-xxxx`) to show the person once, and the hashes to store. */
export function newRecoveryCodes(count = 10): { codes: string[]; hashes: string[] } {
  if (!Number.isInteger(count) || count < 1 || count > 100) throw new RangeError(`recovery codes: 1 to 100 at a time, not ${count}`)
  const codes = new Set<string>()
  while (codes.size < count) {
    // randomInt draws without modulo bias from the CSPRNG.
    const chars = Array.from({ length: GROUPS * GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]!)
    codes.add(Array.from({ length: GROUPS }, (_, g) => chars.slice(g * GROUP_LENGTH, (g + 1) * GROUP_LENGTH).join('')).join('-'))
  }
  return { codes: [...codes], hashes: [...codes].map(hashRecoveryCode) }
}

/** A code as typed, in the form it is hashed: case, spaces and dashes do not matter. */
export function normaliseRecoveryCode(input: string): string {
  return input.normalize('NFKC').toLowerCase().replace(/[\s\-‐‑‒–—−]+/gu, '')
}

/** SHA-256 (hex) of the normalised code: what is stored, and looked up when a code is typed. */
export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normaliseRecoveryCode(code), 'utf8').digest('hex')
}
