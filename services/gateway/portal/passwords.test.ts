import { scrypt } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { checkNewPassword, hashPassword, isRepetitive, needsRehash, repeatedBlock, runCount, spendVerifyTime, verifyPassword } from './passwords.js'

const alice = { email: 'Alice.Martin@Acme-Industries.fr', name: 'Alice Martin' }
const reason = (password: string, context: Parameters<typeof checkNewPassword>[1] = alice) => {
  const check = checkNewPassword(password, context)
  return check.ok ? 'ok' : check.reason
}

describe('a new password', () => {
  test.each([
    ['eleven char', 'too-short'],
    ['twelve chars', 'ok'],
    ['x'.repeat(60) + ' purple walrus ' + 'y'.repeat(53), 'ok'], // 128
    ['x'.repeat(60) + ' purple walrus ' + 'y'.repeat(54), 'too-long'], // 129
  ])('%j: %s', (password, expected) => {
    expect(reason(password)).toBe(expected)
  })

  test('is counted in code points after NFKC, not in UTF-16 units', () => {
    // 11 emoji are 22 UTF-16 units but 11 characters.
    expect(reason('🐘🦒🦓🦏🐊🦛🐆🦘🦔🦡🦦')).toBe('too-short')
    expect(reason('🐘🦒🦓🦏🐊🦛🐆🦘🦔🦡🦦🦥')).toBe('ok')
    // The ligature ﬃ is one code point, and three (f, f, i) after NFKC.
    expect(reason('o\uFB03ce plant')).toBe('ok') // 10 code points, 12 after NFKC
    expect(reason('o\uFB03ce pla')).toBe('too-short') // 8, then 10
  })

  test('needs no digit, capital or symbol: spaces and any printable character will do', () => {
    expect(reason('purple walrus in the rain')).toBe('ok')
    expect(reason('éléphant à la plage')).toBe('ok')
    expect(reason('ゆっくり歩く象と長い散歩')).toBe('ok')
  })

  test.each(['password1234', 'PASSWORD1234', 'qwerty123456', '1qaz2wsx3edc', 'administrator', 'leavemealone'])('%j is refused as common (case aside)', (password) => {
    expect(reason(password)).toBe('common')
  })

  test('only an exact match is common: a common password with more added is judged on the other rules', () => {
    expect(reason('administrator!')).toBe('ok')
  })

  test.each([
    ['my alice.martin key', 'contextual'], // the email's local part
    ['martin is on the go', 'contextual'], // a piece of it, and a name part
    ['The ALICE of wonderland', 'contextual'], // case aside
    ['acme-industries rocks!', 'contextual'], // the domain label
    ['acme industries rocks', 'ok'], // not the label
  ])('%j: %s', (password, expected) => {
    expect(reason(password)).toBe(expected)
  })

  test('the top-level domain is not a word of the person\'s', () => {
    expect(reason('a night at the museum', { email: 'robert@example.museum' })).toBe('ok')
    expect(reason('an example of a night', { email: 'robert@example.museum' })).toBe('contextual')
  })

  test('name parts are compared without accents and case; parts under 4 characters are ignored', () => {
    const context = { email: 'x9@bo.fr', name: 'Hélène Lê-Dupont' }
    expect(reason('helene likes mountains', context)).toBe('contextual')
    expect(reason('HÉLÈNE likes mountains', context)).toBe('contextual')
    expect(reason('my friend dupont walks', context)).toBe('contextual')
    expect(reason('a ledger in the attic', context)).toBe('ok') // "lê" is too short to count
    expect(reason('helene likes mountains', { email: 'x9@bo.fr', name: null })).toBe('ok')
    expect(reason('helene likes mountains', { email: 'x9@bo.fr' })).toBe('ok')
  })

  test('a short email local part or domain label is not a word to avoid', () => {
    expect(reason('bob goes to the sea', { email: 'bob@sfr.fr' })).toBe('ok')
    expect(reason('to sfr and back again', { email: 'bob@sfr.fr' })).toBe('ok')
  })

  test.each([
    ['Facteur2024!', 'contextual'], // "2024!": 5 left
    ['FacteurFacteur', 'contextual'],
    ['chorus pro 2024', 'contextual'], // " 2024": 5 left
    ['ChorusPro1234', 'contextual'],
    ['Chorus123456', 'contextual'], // 6 left
    ['Chorus@Paris7', 'contextual'], // 7 left
    ['Chorus@Paris_7', 'ok'], // 8 left
    ['facteur purple walrus', 'ok'],
    ['the chorus sang at dawn', 'ok'],
  ])('the service\'s name as the major part: %j is %s', (password, expected) => {
    expect(reason(password)).toBe(expected)
  })

  test.each([
    ['aaaaaaaaaaaa', 'repetitive'],
    ['AAAAaaaaAAAA', 'repetitive'],
    ['234567890123', 'repetitive'],
    ['abcdefghijkl', 'repetitive'],
    ['zyxwvutsrqpo', 'repetitive'],
    ['987654321098', 'repetitive'],
    ['abcdef123456', 'repetitive'],
    ['aaaa1234bbbb', 'repetitive'],
    ['abcabcabcabc', 'repetitive'],
    ['q1w2q1w2q1w2', 'repetitive'],
    ['Jennifer1234', 'ok'],
    ['stoneghostly', 'ok'],
    ['Tr0ub4dor&3Tr0ub4dor&3', 'ok'], // a repeated block of 11 runs
    ['Bonjour123456789', 'ok'],
  ])('%j: %s', (password, expected) => {
    expect(reason(password, { email: 'someone@example.org' })).toBe(expected)
  })

  test('a refusal says what to do', () => {
    const check = checkNewPassword('short', alice)
    expect(check).toEqual({ ok: false, reason: 'too-short', detail: expect.stringContaining('at least 12 characters (this one has 5)') })
  })
})

describe('repetitive, defined', () => {
  const runs = (s: string) => runCount([...s])
  test.each([
    ['', 0],
    ['a', 1],
    ['aaaa', 1], // a repeated character
    ['ab', 2], // two neighbours are not a sequence
    ['abc', 1],
    ['cba', 1],
    ['7890', 1], // digits wrap
    ['0987', 1],
    ['xyzab', 1], // letters wrap
    ['789abc', 2], // no wrapping from digits to letters
    ['aabbcc', 3], // aa, bb, cc
    ['abcba', 3], // abc, b, a (or a, b, cba)
    ['stoneghostly', 12],
    ['jennifer1234', 8],
    ['αβγδ', 1], // other characters by code point
  ])('%j is %d runs', (s, expected) => {
    expect(runs(s)).toBe(expected)
  })

  test.each([
    ['abcabcab', 'abc'],
    ['abab', 'ab'],
    ['aaaa', 'a'],
    ['abcab', 'abcab'], // repeated less than twice
    ['abcdabce', 'abcdabce'],
  ])('%j repeats %j', (s, block) => {
    expect(repeatedBlock([...s]).join('')).toBe(block)
  })

  test('is fewer than 8 runs in the password or the block it repeats', () => {
    expect(isRepetitive('abcdefgh135792')).toBe(true) // 1 + 6 runs
    expect(isRepetitive('abcdefgh1357924')).toBe(false) // 1 + 7 runs
    expect(isRepetitive('r0bin-h00d!r0bin-h00d!')).toBe(false) // a block of 10 runs (r, 0, b, i, n, -, h, 00, d, !), twice
    expect(isRepetitive('r0bn-h00r0bn-h00')).toBe(true) // a block of 7 runs, twice
  })
})

describe('password hashes', () => {
  test('a hash names its parameters and verifies the password it was made from, not another', async () => {
    const stored = await hashPassword('purple walrus in the rain')
    expect(stored).toMatch(/^scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    expect(await verifyPassword('purple walrus in the rain', stored)).toBe(true)
    expect(await verifyPassword('purple walrus in the rain ', stored)).toBe(false)
    expect(needsRehash(stored)).toBe(false)
  })

  test('two hashes of one password differ (random salt)', async () => {
    const [a, b] = await Promise.all([hashPassword('same password twice'), hashPassword('same password twice')])
    expect(a).not.toBe(b)
  })

  test('the password is NFKC-normalised: the ligature ﬁ and "fi" are the same password', async () => {
    const stored = await hashPassword('\uFB01ve purple walruses')
    expect(await verifyPassword('five purple walruses', stored)).toBe(true)
  })

  // A hash made elsewhere (node:crypto directly) with weaker parameters: verifyPassword reads them from the string.
  const legacy = (password: string, ln: number) => new Promise<string>((resolve, reject) => {
    const salt = Buffer.from('0123456789abcdef')
    scrypt(password, salt, 32, { N: 2 ** ln, r: 8, p: 1 }, (error, key) => error ? reject(error) : resolve(
      `scrypt$ln=${ln},r=8,p=1$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`))
  })

  test('a hash with older, weaker parameters still verifies, and asks to be replaced', async () => {
    const stored = await legacy('an older password', 10)
    expect(await verifyPassword('an older password', stored)).toBe(true)
    expect(await verifyPassword('an older passwore', stored)).toBe(false)
    expect(needsRehash(stored)).toBe(true)
  })

  // Salt and hash of n bytes, in unpadded base64.
  const b = (n: number) => Buffer.alloc(n).toString('base64').replace(/=+$/, '')
  const stored = (params: string, salt = 16, hash = 32) => `scrypt$${params}$${b(salt)}$${b(hash)}`

  test.each([
    [stored('ln=17,r=8,p=1'), false],
    [stored('ln=18,r=8,p=1'), false], // stronger
    [stored('ln=17,r=8,p=2'), false],
    [stored('ln=16,r=8,p=1'), true],
    [stored('ln=17,r=4,p=1'), true],
    [stored('ln=17,r=8,p=1', 16, 22), true], // a shorter key
    [stored('ln=17,r=8,p=1', 9, 32), true], // a shorter salt
    ['bcrypt$2b$12$whatever', true], // unreadable: replace it
  ])('needsRehash(%j) is %s', (s, expected) => {
    expect(needsRehash(s)).toBe(expected)
  })

  test.each([
    '',
    'scrypt',
    'scrypt$ln=17,r=8,p=1$$',
    `scrypt$ln=17,r=8,p=1$not base64!$${b(32)}`,
    `scrypt$ln=17,r=8$${b(16)}$${b(32)}`,
    stored('ln=0,r=8,p=1'),
    stored('ln=21,r=8,p=1'), // 2 GiB: refused, not attempted
    stored('ln=30,r=8,p=1'),
    stored('ln=17,r=8,p=1') + '\n',
  ])('a malformed stored hash %j verifies nothing and does not throw', async (s) => {
    await expect(verifyPassword('anything at all', s)).resolves.toBe(false)
  })

  test('a well-formed hash of another password verifies nothing', async () => {
    await expect(verifyPassword('anything at all', stored('ln=10,r=8,p=1'))).resolves.toBe(false)
  })

  test('spendVerifyTime costs a real scrypt (an unknown email signs in as slowly as a known one)', async () => {
    const started = performance.now()
    await spendVerifyTime()
    // N=2^17, r=8 writes and reads 128 MiB: no machine does that in under 50 ms; a shortcut would.
    expect(performance.now() - started).toBeGreaterThan(50)
  })
})
