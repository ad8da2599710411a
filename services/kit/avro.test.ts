import { describe, expect, test } from 'vitest'
import { frame, unframe, MAGIC_BYTE } from './avro.js'

describe('Confluent wire format', () => {
  test('frames a body as magic byte 0, a 4-byte big-endian schema id, then the Avro body', () => {
    const framed = frame(0x01020304, Buffer.from([0xaa, 0xbb]))
    expect([...framed]).toEqual([MAGIC_BYTE, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb])
  })

  test('unframes what it framed', () => {
    const { schemaId, body } = unframe(frame(42, Buffer.from('hello')))
    expect(schemaId).toBe(42)
    expect(body.toString()).toBe('hello')
  })

  test.each([
    ['too short', Buffer.from([0, 0, 0])],
    ['wrong magic byte', Buffer.from([1, 0, 0, 0, 1, 5])],
    ['plain JSON', Buffer.from('{"a":1}')],
  ])('refuses a value that is not framed: %s', (_name, value) => {
    expect(() => unframe(value)).toThrow(/not a Confluent-framed Avro value/)
  })
})
