import { describe, expect, test } from 'vitest'
import { ageSeconds, registry, watchConsumerLag } from './metrics.js'

describe('ageSeconds (facteur_event_age_seconds)', () => {
  test('now minus the message timestamp, in seconds; 0 when the producer\'s clock is ahead', () => {
    expect(ageSeconds(1_000, 3_500)).toBe(2.5)
    expect(ageSeconds(5_000, 4_000)).toBe(0)
  })
})

describe('facteur_consumer_lag', () => {
  const lagLines = async () => (await registry.metrics()).split('\n').filter((l) => l.startsWith('facteur_consumer_lag{'))

  test('read from each watched group\'s bus when scraped, one series per group and topic; gone once unwatched', async () => {
    const asked: unknown[] = []
    const bus = { lag: async (groups: { group: string; topics: string[] }[]) => { asked.push(groups); return groups.flatMap(({ group, topics }) => topics.map((topic, i) => ({ group, topic, lag: i + 1 }))) } }
    const stopA = watchConsumerLag(bus, 'p.ingest', ['p.document.received'])
    const stopB = watchConsumerLag(bus, 'p.status', ['p.document.received', 'p.document.rejected'])
    try {
      expect(await lagLines()).toEqual([
        'facteur_consumer_lag{group="p.ingest",topic="p.document.received"} 1',
        'facteur_consumer_lag{group="p.status",topic="p.document.received"} 1',
        'facteur_consumer_lag{group="p.status",topic="p.document.rejected"} 2',
      ])
      // One call per bus, with all of its groups.
      expect(asked).toEqual([[{ group: 'p.ingest', topics: ['p.document.received'] }, { group: 'p.status', topics: ['p.document.received', 'p.document.rejected'] }]])
    } finally { stopA(); stopB() }
    expect(await lagLines()).toEqual([])
  })

  test('a bus that fails or does not answer within 2 s leaves its series out; the scrape still answers', async () => {
    const stopA = watchConsumerLag({ lag: async () => { throw new Error('broker away') } }, 'p.a', ['t'])
    const stopB = watchConsumerLag({ lag: () => new Promise(() => {}) }, 'p.b', ['t'])
    const stopC = watchConsumerLag({ lag: async () => [{ group: 'p.c', topic: 't', lag: 7 }] }, 'p.c', ['t'])
    try {
      const started = Date.now()
      expect(await lagLines()).toEqual(['facteur_consumer_lag{group="p.c",topic="t"} 7'])
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally { stopA(); stopB(); stopC() }
  })
})

describe('the registry', () => {
  test('holds the stage families, with names the gateway\'s own gauges do not use', async () => {
    const text = await registry.metrics()
    for (const name of ['facteur_consumer_messages_total', 'facteur_consumer_run_seconds', 'facteur_consumer_run_messages', 'facteur_event_age_seconds',
      'facteur_consumer_lag', 'facteur_deposits_total', 'facteur_deposit_seconds', 'facteur_validation_seconds', 'facteur_delivery_attempts_total',
      'facteur_delivery_attempt_seconds', 'facteur_accept_to_delivered_seconds', 'nodejs_eventloop_lag_seconds', 'process_resident_memory_bytes']) {
      expect(text).toContain(`# TYPE ${name} `)
    }
    // services/gateway/metrics.ts renders these by hand in the same /metrics answer: a second TYPE line would be invalid.
    for (const name of ['facteur_outbox_pending', 'facteur_delivery_jobs', 'facteur_documents', 'facteur_process_resident_memory_bytes', 'facteur_process_uptime_seconds']) {
      expect(text).not.toContain(`# TYPE ${name} `)
    }
  })
})
