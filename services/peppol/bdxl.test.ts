import { describe, expect, it } from 'vitest'
import { base32, bdxlHostName, locateSmp, type NaptrRecord } from './bdxl.js'
import { parseParticipant, type PeppolId } from './identifiers.js'

const TEST_ZONE = 'participant.sml.test.tech.peppol.org'
const pid = (text: string): PeppolId => { const p = parseParticipant(text); if (!p.ok) throw new Error(p.reason); return p.id }

describe('BDXL host names', () => {
  it('base32 follows RFC 4648 (its test vectors, without padding)', () => {
    expect(base32(Buffer.from(''))).toBe('')
    expect(base32(Buffer.from('f'))).toBe('MY')
    expect(base32(Buffer.from('fo'))).toBe('MZXQ')
    expect(base32(Buffer.from('foob'))).toBe('MZXW6YQ')
    expect(base32(Buffer.from('foobar'))).toBe('MZXW6YTBOI')
  })

  // Known values: the Peppol SML specification's example (0010:5798000000001), Policy for use of Identifiers
  // POLICY 7's example (0088:123abc, case-insensitive), and a further id, as published with phax/peppol-commons.
  it.each([
    ['0010:5798000000001', 'xukhfqabqziki3ykvr2fhr4snfa3pf5vpq6k4tonv3lmvsy5arvq'],
    ['0088:123abc', 'y7dzfxaf3d4cjz4kcgrxtec6twvcga4ky7zwa5boif6mswd4tdrq'],
    ['0088:123ABC', 'y7dzfxaf3d4cjz4kcgrxtec6twvcga4ky7zwa5boif6mswd4tdrq'],
    ['iso6523-actorid-upis::0088:1234567890123', 'sjsyvccmqyjxk3weuapffq4x3umcrf4qryherj4vovhmonh7gccq'],
    ['9915:test', 'eh5boavaktmbgzyh2a63dz4qov33fvp5nsdvqklucfraayoodw6a'],
  ])('%s → %s', (participant, hash) => {
    expect(bdxlHostName(pid(participant), TEST_ZONE)).toBe(`${hash}.iso6523-actorid-upis.${TEST_ZONE}`)
    expect(bdxlHostName(pid(participant), `${TEST_ZONE}.`)).toBe(`${hash}.iso6523-actorid-upis.${TEST_ZONE}`)
  })
})

describe('locating the SMP', () => {
  const naptr = (over: Partial<NaptrRecord>): NaptrRecord => ({ flags: 'U', service: 'Meta:SMP', regexp: '!^.*$!https://smp.example.org/!', replacement: '.', order: 100, preference: 10, ...over })
  const participant = pid('0009:73282932000074')

  it('takes the first usable U-NAPTR record in order/preference order', async () => {
    const records = [
      naptr({ service: 'Meta:SMP2', regexp: '!^.*$!https://wrong.example/!', order: 1 }),
      naptr({ regexp: '!^.*$!https://second.example/smp/!', order: 100, preference: 20 }),
      naptr({ regexp: '!^.*$!https://first.example/smp!', order: 100, preference: 10 }),
    ]
    let asked = ''
    const found = await locateSmp(participant, TEST_ZONE, async (host) => { asked = host; return records })
    expect(asked).toBe(bdxlHostName(participant, TEST_ZONE))
    expect(found).toEqual({ ok: true, url: 'https://first.example/smp', host: asked })
  })

  it('refuses regexps other than the whole-input replacement, and non-http URIs', async () => {
    const found = await locateSmp(participant, TEST_ZONE, async () => [naptr({ regexp: '!^(.*)$!https://x/\\1!' }), naptr({ regexp: '!^.*$!ftp://smp.example/!' })])
    expect(found).toMatchObject({ ok: false, permanent: true, reason: expect.stringContaining('no usable Meta:SMP') })
  })

  it('tells an unregistered participant (permanent) from a DNS failure (retry)', async () => {
    const fail = (code: string) => async () => { throw Object.assign(new Error(code), { code }) }
    expect(await locateSmp(participant, TEST_ZONE, fail('ENOTFOUND'))).toMatchObject({ ok: false, permanent: true, reason: expect.stringContaining('not registered') })
    expect(await locateSmp(participant, TEST_ZONE, fail('ETIMEOUT'))).toMatchObject({ ok: false, permanent: false, reason: expect.stringContaining('ETIMEOUT') })
  })
})
