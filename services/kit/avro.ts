// Avro values in the Confluent wire format: byte 0 = magic 0x00, bytes 1-4 = schema id (big-endian),
// then the Avro binary body. Schemas come from schemas/*.avsc and are registered under `<topic>-value`
// with BACKWARD compatibility; readers decode with their own schema resolved against the writer's,
// so a consumer built on an older schema keeps working when a producer adds a defaulted field.
import avro from 'avsc'
import registryPkg from '@kafkajs/confluent-schema-registry'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { topics, deadLetterSchemaFile, topicName, dlqName, subjectOf, type TopicSpec } from '../../schemas/topics.js'
import { FacteurError } from './errors.js'
import { withinTime } from './health.js'

const { SchemaRegistry, COMPATIBILITY } = registryPkg

const schemasDir = fileURLToPath(new URL('../../schemas/', import.meta.url))

export const MAGIC_BYTE = 0

/** Parses one .avsc file of schemas/ into an avsc Type. */
export function loadSchema(file: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(readFileSync(schemasDir + file, 'utf8')))
}

/** Frames an Avro body with the Confluent header. */
export function frame(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5)
  header.writeUInt8(MAGIC_BYTE, 0)
  header.writeUInt32BE(schemaId, 1)
  return Buffer.concat([header, body])
}

/** Splits a Confluent-framed value into schema id and body; throws on anything else. */
export function unframe(value: Buffer): { schemaId: number; body: Buffer } {
  if (value.length < 5 || value.readUInt8(0) !== MAGIC_BYTE) {
    throw new Error(`not a Confluent-framed Avro value (${value.length} bytes, first byte ${value[0] ?? 'none'})`)
  }
  return { schemaId: value.readUInt32BE(1), body: value.subarray(5) }
}

/** How long one request to the schema registry may go unanswered before it is given up (and retried). */
const REGISTRY_REQUEST_MS = 10_000

export type Codec = {
  /** Encodes `value` with the schema registered for `topic` (a runtime topic name). */
  encode(topic: string, value: unknown): Buffer
  /** Decodes a framed value read from `topic` with that topic's schema as reader schema. */
  decode(topic: string, value: Buffer): Promise<unknown>
}

type Entry = { type: avro.Type; subject: string; id: number }

/**
 * Registers the schema of every topic (and dead-letter topic) under `<topic>-value`, BACKWARD, and returns
 * the codec. Registration is idempotent: the registry answers the existing id for an identical schema.
 */
export async function createCodec(options: { registryUrl: string; topicPrefix: string }): Promise<Codec> {
  const registry = new SchemaRegistry({ host: options.registryUrl, retry: { retries: 5, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 3 } })
  const byTopic = new Map<string, Entry>()
  const register = async (topic: string, file: string) => {
    const type = loadSchema(file)
    const subject = subjectOf(topic)
    // Processes registering a new subject at the same moment (the first start of several services or instances)
    // race to set its compatibility: Apicurio refuses all but the first ("A rule named 'COMPATIBILITY' already
    // exists"), and one that looks between the first one's registration and its setting sees the global level
    // ("Compatibility does not match the configuration (BACKWARD != NONE)"). Both pass once the first one is
    // done: try again a few times, shortly; a subject really configured otherwise still fails, with that message.
    // A request the registry never answers (seen once in a while under load) is given up after
    // REGISTRY_REQUEST_MS and sent again, rather than holding the service's start for ever.
    const registerRacing = async (attempt = 1): Promise<{ id: number }> => {
      try {
        return await withinTime(registry.register({ type: 'AVRO' as never, schema: JSON.stringify(type.schema()) }, { subject, compatibility: COMPATIBILITY.BACKWARD }), REGISTRY_REQUEST_MS, `registering ${subject}`)
      } catch (error) {
        if (attempt >= 5 || !/already exists|Compatibility does not match|no answer within/i.test((error as Error).message)) throw error
        await sleep(100 * attempt)
        return registerRacing(attempt + 1)
      }
    }
    try {
      const { id } = await registerRacing()
      byTopic.set(topic, { type, subject, id })
    } catch (cause) {
      const message = (cause as Error).message
      const code = /incompatib/i.test(message) ? 'SCHEMA_INCOMPATIBLE' : 'INFRA_UNAVAILABLE'
      throw new FacteurError(code, `registering ${file} as ${subject} at ${options.registryUrl}: ${message}`, { cause })
    }
  }
  const specs: TopicSpec[] = Object.values(topics)
  await Promise.all(specs.flatMap((spec) => [
    register(topicName(options.topicPrefix, spec), spec.schemaFile),
    ...(spec.dlq ? [register(dlqName(options.topicPrefix, spec), deadLetterSchemaFile)] : []),
  ]))
  const writers = new Map<number, avro.Type>()
  const resolvers = new Map<string, ReturnType<avro.Type["createResolver"]>>()

  const entry = (topic: string) => {
    const e = byTopic.get(topic)
    if (!e) throw new Error(`no schema for topic ${topic}: it is not declared in schemas/topics.ts`)
    return e
  }
  return {
    encode(topic, value) {
      const e = entry(topic)
      const errors: string[] = []
      if (!e.type.isValid(value, { errorHook: (path) => errors.push(path.join('.') || '(root)') })) {
        throw new Error(`event for ${topic} does not match ${e.subject}: invalid at ${errors.join(', ')}`)
      }
      return frame(e.id, e.type.toBuffer(value))
    },
    async decode(topic, value) {
      const e = entry(topic)
      const { schemaId, body } = unframe(value)
      if (schemaId === e.id) return e.type.fromBuffer(body)
      let writer = writers.get(schemaId)
      if (!writer) {
        writer = (await registry.getSchema(schemaId)) as unknown as avro.Type
        writers.set(schemaId, writer)
      }
      const key = `${topic}#${schemaId}`
      let resolver = resolvers.get(key)
      if (!resolver) {
        resolver = e.type.createResolver(writer)
        resolvers.set(key, resolver)
      }
      return e.type.fromBuffer(body, resolver)
    },
  }
}
