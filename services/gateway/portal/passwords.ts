// Portal passwords, after NIST SP 800-63B §5.1.1 (memorized secrets): length and a blocklist, no composition
// rules, no forced expiry. The portal always asks for a second factor as well (totp.ts), so the password is one of
// two locks, not the only one.
// Passwords are stored as scrypt hashes (OWASP: N=2^17, r=8, p=1), in a self-describing string so that the
// parameters can be raised later: needsRehash() tells the sign-in to store a new hash once the password is known.
// One hash takes about 255 ms on the 2-core development machine (AMD EPYC, Node 20.20); two at once take about
// 505 ms, since scrypt is memory-bound (128 MiB each): sign-in needs a rate limit in front of it.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { createRequire } from 'node:module'

export const MIN_LENGTH = 12
export const MAX_LENGTH = 128
// What must be left of a password once the words that give nothing away to a guesser are taken out.
const MIN_LEFT = 8

export type PasswordContext = { email: string; name?: string | null }
export type PasswordReason = 'too-short' | 'too-long' | 'common' | 'contextual' | 'repetitive'
export type PasswordCheck = { ok: true } | { ok: false; reason: PasswordReason; detail: string }

// Code points, not UTF-16 units: an emoji is one character to the person typing it.
const length = (s: string) => [...s].length
// For comparing words: case and accents do not make a name any harder to guess.
const fold = (s: string) => s.normalize('NFKC').normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()

let common: Set<string> | undefined
// Loaded on first use (about 25 ms): a gateway that serves no portal never pays for the 49,233 entries.
function commonPasswords(): Set<string> {
  if (!common) {
    const { dictionary } = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common')
    common = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()))
  }
  return common
}

/** Words of the person's context that a password must not contain: email local part and its pieces, domain labels, name parts. */
function personalWords(context: PasswordContext): string[] {
  const email = fold(context.email.trim())
  const at = email.lastIndexOf('@')
  const local = at < 0 ? email : email.slice(0, at)
  const domain = at < 0 ? '' : email.slice(at + 1)
  // Every label but the top-level one: acme.fr gives "acme", mail.acme.co.uk gives "mail" and "acme" ("co" is too short).
  const labels = domain.split('.').slice(0, -1)
  const words = [local, ...local.split(/[._+-]+/), ...labels, ...fold(context.name ?? '').split(/[\s.,'’‐-]+/u)]
  return [...new Set(words.filter((w) => length(w) >= 4))]
}

// Longest first: taking "chorus" out of "chorus pro" first would leave " pro" behind.
const SERVICE_WORDS = ['chorus pro', 'choruspro', 'facteur', 'chorus']

const RINGS = ['0123456789', 'abcdefghijklmnopqrstuvwxyz']

/** Whether `b` comes `step` after `a` (0: the same character; ±1: next or previous, digits and letters wrapping around). */
function follows(a: string, b: string, step: -1 | 0 | 1): boolean {
  if (step === 0) return a === b
  for (const ring of RINGS) {
    const i = ring.indexOf(a)
    if (i >= 0) return ring.indexOf(b) === (i + step + ring.length) % ring.length
  }
  if (RINGS.some((ring) => ring.includes(b))) return false
  return b.codePointAt(0) === a.codePointAt(0)! + step
}

/**
 * The fewest runs that make up `chars`, a run being one character, or one character repeated (`aa`, `aaaa`), or
 * at least 3 characters each one after the other (`123`, `7890`, `xyza`: digits and letters wrap around) or each one
 * before the other (`dcba`). Two neighbours (`st`, `on`) are not a sequence: words are full of them.
 */
export function runCount(chars: string[]): number {
  const best = [0, ...chars.map(() => Infinity)]
  const reach = (start: number, end: number) => { best[end] = Math.min(best[end]!, best[start]! + 1) }
  for (let start = 0; start < chars.length; start++) {
    reach(start, start + 1)
    for (const step of [0, 1, -1] as const) {
      for (let end = start + 1; end < chars.length && follows(chars[end - 1]!, chars[end]!, step); end++) {
        if (step === 0 || end - start >= 2) reach(start, end + 1)
      }
    }
  }
  return best[chars.length]!
}

/** The shortest block that `chars` repeats at least twice (a last, partial copy allowed), or `chars` itself. */
export function repeatedBlock(chars: string[]): string[] {
  for (let period = 1; period * 2 <= chars.length; period++) {
    if (chars.every((c, i) => i < period || c === chars[i - period])) return chars.slice(0, period)
  }
  return chars
}

/**
 * Repetitive or sequential, defined: case aside, the password (or, if it is a block repeated at least twice, that
 * block) is made of fewer than 8 runs (runCount). So `aaaaaaaaaaaa` (1 run), `234567890123` (1: digits wrap from 9
 * to 0), `abcdef123456` (2), `aabbccddeeff` (6), `abcabcabcabc` (block `abc`, 1 run) and `q1w2q1w2q1w2` (block
 * `q1w2`, 4 runs) are refused; `Jennifer1234` (8 runs), `stoneghostly` (12) and passphrases are not (of two random
 * diceware words run together, about 1 in 4,000 is refused, e.g. `deferredcrook`: def, e, rr, edc, r, oo, k).
 * The threshold matches the 8 characters that must be left once the service's name is taken out.
 */
export function isRepetitive(password: string): boolean {
  return runCount(repeatedBlock([...password.toLowerCase()])) < MIN_LEFT
}

/**
 * Whether `password` may be chosen as a new password (NFKC-normalised first, as hashPassword does). Any printable
 * character and spaces are allowed and nothing is required (no digit, no capital): length, the list of common
 * passwords, the person's own details and patterns are what is checked, in that order.
 */
export function checkNewPassword(password: string, context: PasswordContext): PasswordCheck {
  const normal = password.normalize('NFKC')
  const n = length(normal)
  if (n < MIN_LENGTH) return { ok: false, reason: 'too-short', detail: `Use at least ${MIN_LENGTH} characters (this one has ${n}); a few unrelated words with spaces make a good password.` }
  if (n > MAX_LENGTH) return { ok: false, reason: 'too-long', detail: `Use at most ${MAX_LENGTH} characters (this one has ${n}).` }
  if (commonPasswords().has(normal.toLowerCase())) {
    return { ok: false, reason: 'common', detail: 'This password is in lists of common passwords that attackers try first; choose another one.' }
  }
  const folded = fold(normal)
  const personal = personalWords(context).find((w) => folded.includes(w))
  if (personal !== undefined) {
    return { ok: false, reason: 'contextual', detail: 'This password contains your name or part of your email address, which others can guess; choose one without them.' }
  }
  // Not on the folded form: taking accents (combining marks) out would shorten what is left in some scripts.
  let rest = normal.toLowerCase()
  for (const word of SERVICE_WORDS) rest = rest.replaceAll(word, '')
  if (length(rest) < MIN_LEFT) {
    return { ok: false, reason: 'contextual', detail: `This password is mostly the name of the service (Facteur, Chorus Pro); add at least ${MIN_LEFT} characters of your own.` }
  }
  if (isRepetitive(normal)) {
    return { ok: false, reason: 'repetitive', detail: 'This password is made of repeated characters, sequences such as 1234 or abcd, or a repeated pattern; choose one that does not follow a pattern.' }
  }
  return { ok: true }
}

type Params = { ln: number; r: number; p: number }
// OWASP Password Storage Cheat Sheet, scrypt: N=2^17 (ln=17), r=8, p=1.
const CURRENT: Params = { ln: 17, r: 8, p: 1 }
const SALT_BYTES = 16
const KEY_BYTES = 32

// One scrypt holds 128 MiB for about 255 ms here, and two at once take twice as long (memory-bound): a queue keeps
// at most two running per process, so a burst of sign-ins (or of hostile POSTs) costs time, not the process's memory.
const MAX_RUNNING = 2
let running = 0
const waiting: (() => void)[] = []
async function inTurn<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  try { return await work() } finally {
    running--
    waiting.shift()?.()
  }
}

function derive(password: string, salt: Buffer, keyBytes: number, params: Params): Promise<Buffer> {
  return inTurn(() => deriveNow(password, salt, keyBytes, params))
}

function deriveNow(password: string, salt: Buffer, keyBytes: number, { ln, r, p }: Params): Promise<Buffer> {
  const N = 2 ** ln
  // OpenSSL counts 128·r·(N+2+p) bytes (just over 128 MiB now) against maxmem, whose default is 32 MiB.
  // maxmem is a ceiling, not an allocation: twice the need is room for a change in how it is counted.
  const maxmem = 2 * 128 * r * (N + 2 + p)
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyBytes, { N, r, p, maxmem }, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '')
const STORED = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{22,})$/

type Stored = { params: Params; salt: Buffer; hash: Buffer }

// Bounds keep a corrupt stored string from asking for more than 1 GiB (8 times the current parameters) or hours of CPU.
function parse(stored: string): Stored | null {
  const m = STORED.exec(stored)
  if (!m) return null
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }
  if (params.ln < 1 || params.r < 1 || params.p < 1 || params.p > 16 || 128 * 2 ** params.ln * params.r > 2 ** 30) return null
  return { params, salt: Buffer.from(m[4]!, 'base64'), hash: Buffer.from(m[5]!, 'base64') }
}

/** `scrypt$ln=17,r=8,p=1$<salt>$<hash>` (unpadded base64), for the password NFKC-normalised. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const hash = await derive(password, salt, KEY_BYTES, CURRENT)
  return `scrypt$ln=${CURRENT.ln},r=${CURRENT.r},p=${CURRENT.p}$${b64(salt)}$${b64(hash)}`
}

/** Whether `password` is the one `stored` was made from, with the parameters `stored` names; false for a malformed `stored`. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored)
  if (!parsed) return false
  try {
    const hash = await derive(password, parsed.salt, parsed.hash.length, parsed.params)
    return timingSafeEqual(hash, parsed.hash)
  } catch {
    return false
  }
}

/** Whether `stored` was made with weaker parameters than hashPassword uses now (or cannot be read): hash again at the next sign-in. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored)
  if (!parsed) return true
  const { params, salt, hash } = parsed
  return params.ln < CURRENT.ln || params.r < CURRENT.r || params.p < CURRENT.p || salt.length < SALT_BYTES || hash.length < KEY_BYTES
}

const DUMMY_SALT = Buffer.alloc(SALT_BYTES)

/** One scrypt with the current parameters, for a sign-in with an unknown email: it then takes as long as with a known one. */
export async function spendVerifyTime(): Promise<void> {
  await derive('not a password', DUMMY_SALT, KEY_BYTES, CURRENT)
}
