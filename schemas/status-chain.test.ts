import { describe, expect, test } from 'vitest'
import { chainHash, createVerifier, type Chained } from './status-chain.js'

const DOC = '9f0c0f5e-3f3b-4b8e-9d57-0d0c2a1c1e11'
function chain(statuses: string[], documentId = DOC) {
  const out: (Chained & { hash: string })[] = []
  for (const [i, status] of statuses.entries()) {
    const e: Chained = { documentId, sequence: i + 1, status, code: null, actor: 'hub', at: 1_700_000_000_000 + i, reason: null, findings: [], prevHash: out.at(-1)?.hash ?? null }
    out.push({ ...e, hash: chainHash(e) })
  }
  return out
}
const verify = (events: (Chained & { hash: string | null })[]) => {
  const v = createVerifier()
  for (const e of events) v.add(e)
  return v.result()
}

describe('the status hash chain', () => {
  test('an intact chain of several documents verifies', () => {
    const events = [...chain(['DEPOSEE', 'MISE_A_DISPOSITION', 'APPROUVEE']), ...chain(['DEPOSEE', 'REJETEE'], 'other')]
    expect(verify(events)).toEqual({ documents: 2, events: 5, duplicates: 0, breaks: [] })
  })

  test('the hash covers every field, findings included', () => {
    const [e] = chain(['DEPOSEE'])
    expect(chainHash({ ...e!, reason: 'x' })).not.toBe(e!.hash)
    expect(chainHash({ ...e!, findings: [{ ruleId: 'R', severity: 'fatal', location: '/', message: 'm', pack: null, line: null }] })).not.toBe(e!.hash)
    expect(chainHash({ ...e!, at: e!.at + 1 })).not.toBe(e!.hash)
  })

  test('a redelivered identical event is a duplicate, not a break', () => {
    const [a, b] = chain(['DEPOSEE', 'MISE_A_DISPOSITION'])
    expect(verify([a!, b!, b!])).toMatchObject({ duplicates: 1, breaks: [] })
  })

  test('an altered event is detected', () => {
    const events = chain(['DEPOSEE', 'MISE_A_DISPOSITION', 'APPROUVEE'])
    events[1] = { ...events[1]!, status: 'REFUSEE' }
    expect(verify(events).breaks).toEqual([{ documentId: DOC, sequence: 2, problem: expect.stringContaining('does not match its content') }])
  })

  test('an altered event with a recomputed hash breaks the next link', () => {
    const events = chain(['DEPOSEE', 'MISE_A_DISPOSITION', 'APPROUVEE'])
    const forged = { ...events[1]!, reason: 'forged' }
    events[1] = { ...forged, hash: chainHash(forged) }
    expect(verify(events).breaks).toEqual([{ documentId: DOC, sequence: 3, problem: expect.stringContaining('previous hash') }])
  })

  test('a missing event is detected', () => {
    const events = chain(['DEPOSEE', 'MISE_A_DISPOSITION', 'APPROUVEE'])
    expect(verify([events[0]!, events[2]!]).breaks).toEqual([{ documentId: DOC, sequence: 3, problem: expect.stringContaining('2..2 missing') }])
  })

  test('reordered events are detected', () => {
    const [a, b, c] = chain(['DEPOSEE', 'MISE_A_DISPOSITION', 'APPROUVEE'])
    expect(verify([a!, c!, b!]).breaks.map((x) => x.sequence)).toEqual([3, 2])
  })

  test('two different events under one sequence number are detected', () => {
    const events = chain(['DEPOSEE', 'MISE_A_DISPOSITION'])
    const other = { ...events[1]!, status: 'A_RECYCLER' }
    expect(verify([...events, { ...other, hash: chainHash(other) }]).breaks).toEqual([{ documentId: DOC, sequence: 2, problem: 'a second, different event with sequence 2' }])
  })
})
