import { describe, expect, test } from 'vitest'
import { childSpan, continueTrace, formatTraceparent, newTrace, parseTraceparent, traceFields } from './trace.js'

// The example of the W3C Trace Context recommendation, §3.2.
const EXAMPLE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

describe('parseTraceparent', () => {
  test('reads the four fields of a version 00 header', () => {
    expect(parseTraceparent(EXAMPLE)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' })
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.flags).toBe('00')
  })

  test.each([
    ['absent', undefined],
    ['empty', ''],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['an all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'],
    ['a short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['a long span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b70-01'],
    ['a missing field', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7'],
    ['version 00 with a fifth field', `${EXAMPLE}-extra`],
    ['not hex', '00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01'],
    ['other separators', '00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01'],
  ])('%s: invalid (the caller starts a new trace)', (_name, value) => {
    expect(parseTraceparent(value)).toBeNull()
  })

  test('a later version is read by its first four fields, what follows is ignored', () => {
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future')).toEqual(
      { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' })
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x')).toBeNull()
  })
})

describe('new traces and child spans', () => {
  test('a new trace is valid, sampled and different each time', () => {
    const a = newTrace()
    const b = newTrace()
    expect(formatTraceparent(a)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    expect(parseTraceparent(formatTraceparent(a))).toEqual(a)
    expect(a.traceId).not.toBe(b.traceId)
    expect(a.spanId).not.toBe(b.spanId)
  })

  test('a child keeps the trace and the flags, takes a new span id and names its parent', () => {
    const parent = parseTraceparent(EXAMPLE.replace(/-01$/, '-00'))!
    const child = childSpan(parent)
    expect(child.traceId).toBe(parent.traceId)
    expect(child.flags).toBe('00')
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(child.spanId).not.toBe(parent.spanId)
    expect(child.parentSpanId).toBe(parent.spanId)
    expect(formatTraceparent(child)).toBe(`00-${parent.traceId}-${child.spanId}-00`)
  })

  test('continueTrace: under a valid header, else a new trace', () => {
    const continued = continueTrace(EXAMPLE)
    expect(continued.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(continued.parentSpanId).toBe('00f067aa0ba902b7')
    const fresh = continueTrace('00-00000000000000000000000000000000-00f067aa0ba902b7-01')
    expect(fresh.traceId).not.toBe('0'.repeat(32))
    expect(fresh.parentSpanId).toBeUndefined()
  })

  test('the log fields: trace, span and parent; nothing without a context', () => {
    const child = childSpan(parseTraceparent(EXAMPLE)!)
    expect(traceFields(child)).toEqual({ traceId: child.traceId, spanId: child.spanId, parentSpanId: '00f067aa0ba902b7' })
    expect(traceFields(newTrace())).not.toHaveProperty('parentSpanId')
    expect(traceFields(null)).toEqual({})
  })
})
