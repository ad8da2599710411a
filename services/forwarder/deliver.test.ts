import { describe, expect, test } from 'vitest'
import { attemptDelivery } from './deliver.js'
import type { Channel, DeliveryOutcome } from './channels/channel.js'

const delivery = { documentId: 'd1', contentType: 'application/xml', bytes: Buffer.from('<x/>') }

/** A channel answering `outcome` and recording the schemes it was called for (the real channels have their own tests). */
const recording = (outcome: DeliveryOutcome | Error) => {
  const calls: string[] = []
  const channel: Channel = async (url) => { calls.push(url.protocol); if (outcome instanceof Error) throw outcome; return outcome }
  return { channels: { http: channel, file: channel }, calls }
}

describe('attemptDelivery', () => {
  test.each([['https://ap.example.org/in', 'https:'], ['http://127.0.0.1:1/in', 'http:'], ['file:///tmp/x', 'file:']])('%s goes through the %s channel once', async (endpoint, scheme) => {
    const { channels, calls } = recording({ outcome: 'retry-later', detail: 'HTTP 503' })
    expect(await attemptDelivery(endpoint, delivery, channels)).toEqual({ outcome: 'retry-later', detail: 'HTTP 503' })
    expect(calls).toEqual([scheme])
  })

  test('a structure without endpoint (mailbox:) is delivered without a channel', async () => {
    const { channels, calls } = recording({ outcome: 'failed', detail: 'x' })
    expect((await attemptDelivery('mailbox:', delivery, channels)).outcome).toBe('delivered')
    expect(calls).toEqual([])
  })

  test.each([['ftp://h/x', /no delivery channel for ftp:/], ['nonsense', /is not a URL/]])('endpoint %s fails without an attempt', async (endpoint, detail) => {
    const { channels, calls } = recording({ outcome: 'delivered', detail: 'x' })
    const out = await attemptDelivery(endpoint, delivery, channels)
    expect(out.outcome).toBe('failed')
    expect(out.detail).toMatch(detail)
    expect(calls).toHaveLength(0)
  })

  test('a channel that throws is retried later, not a crash', async () => {
    const { channels } = recording(new Error('boom'))
    expect(await attemptDelivery('https://ap.example.org/in', delivery, channels)).toEqual({ outcome: 'retry-later', detail: 'channel error: boom' })
  })
})
