// The Avro contract as the registry and the broker see it: every subject registered with BACKWARD
// compatibility, and messages on the wire framed the Confluent way with the registered schema id.
import { describe, expect, test } from 'vitest'
import { hub, postDocument } from './helpers.js'
import { topics, topicName, dlqName, subjectOf } from '../schemas/topics.js'
import { connectKafka } from '../services/kit/kafka.js'
import { createLogger } from '../services/kit/log.js'
import { createCodec, unframe } from '../services/kit/avro.js'

const registry = (path: string) => fetch(hub().registryUrl + path).then(async (r) => ({ status: r.status, json: await r.json() as any }))

describe('schema registry', () => {
  const subjects = () => Object.values(topics).flatMap((spec) => [
    subjectOf(topicName(hub().topicPrefix, spec)), ...(spec.dlq ? [subjectOf(dlqName(hub().topicPrefix, spec))] : []),
  ])

  test('every topic and dead-letter topic has its <topic>-value subject', async () => {
    const { json } = await registry('/subjects')
    for (const s of subjects()) expect(json).toContain(s)
  })

  test.each(Object.keys(topics))('the %s subject is BACKWARD compatible and holds our schema', async (key) => {
    const subject = subjectOf(topicName(hub().topicPrefix, topics[key as keyof typeof topics]))
    const config = await registry(`/config/${subject}`)
    expect(config.json.compatibilityLevel).toBe('BACKWARD')
    const latest = await registry(`/subjects/${subject}/versions/latest`)
    expect(JSON.parse(latest.json.schema).name).toBeTruthy()
  })

  test('processes registering new subjects at the same moment all start (the first start of several instances)', async () => {
    const topicPrefix = `race-${Date.now().toString(36)}`
    const codecs = await Promise.all(Array.from({ length: 6 }, () => createCodec({ registryUrl: hub().registryUrl, topicPrefix })))
    expect(codecs).toHaveLength(6)
    const subject = subjectOf(topicName(topicPrefix, topics.received))
    expect((await registry(`/config/${subject}`)).json.compatibilityLevel).toBe('BACKWARD')
  })

  test('a message on document.received is Confluent-framed with the registered schema id', async () => {
    const subject = subjectOf(topicName(hub().topicPrefix, topics.received))
    const { json: latest } = await registry(`/subjects/${subject}/versions/latest`)
    const bus = connectKafka({ brokers: hub().kafkaBrokers.split(','), clientId: 'wire-test', log: createLogger('silent') })
    const consumer = await bus.consumer({ group: `wire-test-${Date.now()}`, topics: [topicName(hub().topicPrefix, topics.received)] })
    try {
      const posted = await postDocument('<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"><ID>1</ID></Order>')
      expect(posted.status).toBe(202)
      // The topic is shared with the other test files (one of which parks a poison message on it): ours is the
      // message keyed by our document id.
      const first = await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message for the posted document on document.received within 30 s')), 30_000)
        void consumer.run(async (m) => { if (m.value && m.key === posted.json.id) { clearTimeout(timer); resolve(m.value) } })
      })
      expect(first[0]).toBe(0)
      expect(unframe(first).schemaId).toBe(latest.id)
    } finally {
      await bus.close()
    }
  })
})
