import { describe, expect, test } from 'vitest'
import { deliver, type AttemptReport } from './deliver.js'
import type { Channel, DeliveryOutcome } from './channels/channel.js'

const delivery = { documentId: 'd1', contentType: 'application/xml', bytes: Buffer.from('<x/>') }

/** A channel answering the given outcomes in turn (the real channels have their own tests). */
const scripted = (...outcomes: DeliveryOutcome['outcome'][]) => {
  const calls: string[] = []
  const channel: Channel = async (url) => { calls.push(url.protocol); const o = outcomes[calls.length - 1] ?? 'retry-later'; return { outcome: o, detail: `answer ${calls.length}` } as DeliveryOutcome }
  return { channel, calls }
}

const run = async (endpoint: string, channel: Channel, attempts = 3) => {
  const reports: AttemptReport[] = []
  const sleeps: number[] = []
  const final = await deliver({
    endpoint, delivery, channels: { http: channel, file: channel }, attempts, backoffMs: 100,
    sleep: async (ms) => { sleeps.push(ms) }, onAttempt: async (r) => { reports.push(r) },
  })
  return { final, reports, sleeps }
}

describe('deliver', () => {
  test('retries after retry-later and reports DELIVERED with the attempt count', async () => {
    const { channel } = scripted('retry-later', 'delivered')
    const { final, reports, sleeps } = await run('https://ap.example.org/in', channel)
    expect(final).toEqual({ outcome: 'DELIVERED', attempts: 2, detail: 'answer 2' })
    expect(reports.map((r) => r.outcome)).toEqual(['retry-later', 'delivered'])
    expect(sleeps).toHaveLength(1)
  })

  test('stops at once on a permanent failure', async () => {
    const { channel, calls } = scripted('failed')
    const { final } = await run('http://127.0.0.1:1/in', channel)
    expect(final.outcome).toBe('FAILED')
    expect(calls).toHaveLength(1)
  })

  test('gives up after the configured attempts, saying so', async () => {
    const { channel, calls } = scripted()
    const { final, sleeps } = await run('file:///tmp/x', channel, 4)
    expect(calls).toHaveLength(4)
    expect(sleeps).toHaveLength(3)
    expect(final).toMatchObject({ outcome: 'FAILED', attempts: 4 })
    expect(final.detail).toMatch(/gave up after 4 attempts; last: answer 4/)
  })

  test.each([['ftp://h/x', /no delivery channel for ftp:/], ['nonsense', /is not a URL/]])('endpoint %s fails without an attempt', async (endpoint, detail) => {
    const { channel, calls } = scripted('delivered')
    const { final } = await run(endpoint, channel)
    expect(final.outcome).toBe('FAILED')
    expect(final.detail).toMatch(detail)
    expect(calls).toHaveLength(0)
  })
})
