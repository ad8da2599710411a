import { describe, expect, test } from 'vitest'
import { checkDeposit, checkMediaType } from './deposit.js'

const limits = { maxBytes: 4096, maxDepth: 16 }
const ok = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>')

describe('media type', () => {
  test.each(['application/xml', 'text/xml', 'application/xml; charset=utf-8', 'Application/XML'])('%s is accepted', (type) => {
    expect(checkMediaType(type)).toBeNull()
  })

  test.each([
    ['application/json', /'application\/json' is not accepted/],
    [undefined, /\(none\) is not accepted/],
    ['application/pdf', /Factur-X PDF is not supported yet/],
  ])('%s gets 415 saying what to send', (type, detail) => {
    const p = checkMediaType(type)
    expect(p?.status).toBe(415)
    expect(p?.detail).toMatch(detail)
  })
})

describe('deposit checks', () => {
  test('a well-formed document passes with its sha256 and size', () => {
    const d = checkDeposit(ok, limits)
    expect(d).toMatchObject({ ok: true, sizeBytes: ok.length })
    expect(d.ok && d.sha256).toMatch(/^[0-9a-f]{64}$/)
  })

  test.each([
    ['malformed XML', Buffer.from('<Invoice><ID>1</Invoice>'), 400, /not well-formed XML.*line 1/],
    ['an empty body', Buffer.alloc(0), 400, /empty/],
    ['an XXE attempt', Buffer.from('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'), 400, /DOCTYPE declaration is not allowed/],
    ['an oversize body', Buffer.alloc(5000, 'a'), 413, /5000 bytes; the limit is 4096 bytes/],
    ['nesting deeper than the limit', Buffer.from('<a>'.repeat(20) + '</a>'.repeat(20)), 400, /deeper than 16 levels/],
  ])('%s is refused with %i and a precise detail', (_name, body, status, detail) => {
    const d = checkDeposit(body, limits)
    expect(d.ok).toBe(false)
    if (!d.ok) {
      expect(d.problem.status).toBe(status)
      expect(d.problem.detail).toMatch(detail)
      expect(d.problem.type).toMatch(/^https:\/\/facteur\.dev\/problems\//)
    }
  })
})
