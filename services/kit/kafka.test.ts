import { describe, expect, test } from 'vitest'
import { chunkBySize } from './kafka.js'

const msg = (key: string, bytes: number) => ({ key, value: Buffer.alloc(bytes) })

describe('chunkBySize (no record batch over the topics\' max.message.bytes)', () => {
  test('keeps order and cuts before the budget is passed', () => {
    const messages = [msg('a', 400), msg('b', 400), msg('c', 400), msg('d', 100)]
    const chunks = chunkBySize(messages, 1_100)
    expect(chunks.map((c) => c.map((m) => m.key))).toEqual([['a', 'b'], ['c', 'd']])
  })

  test('a message bigger than the budget goes alone, never dropped', () => {
    const chunks = chunkBySize([msg('a', 10), msg('big', 5_000), msg('c', 10)], 1_000)
    expect(chunks.map((c) => c.map((m) => m.key))).toEqual([['a'], ['big'], ['c']])
  })

  test('nothing in, nothing out', () => {
    expect(chunkBySize([], 1_000)).toEqual([])
  })
})
