import { describe, expect, test } from 'vitest'
import { checkDeposit, checkMediaType } from './deposit.js'

const limits = { maxBytes: 4096, maxDepth: 16 }
const ok = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>')

describe('media type', () => {
  test.each(['application/xml', 'text/xml', 'application/xml; charset=utf-8', 'Application/XML', 'application/pdf'])('%s is accepted', (type) => {
    expect(checkMediaType(type)).toBeNull()
  })

  test.each([
    ['application/json', /'application\/json' is not accepted/],
    [undefined, /\(none\) is not accepted/],
    ['image/png', /'image\/png' is not accepted; send application\/xml, text\/xml, application\/pdf \(a Factur-X PDF\)/],
  ])('%s gets 415 saying what to send', (type, detail) => {
    const p = checkMediaType(type)
    expect(p?.status).toBe(415)
    expect(p?.detail).toMatch(detail)
  })
})

describe('deposit checks', () => {
  test('a PDF is only checked to be one (ingest reads it, with limits); anything else sent as application/pdf gets 400', () => {
    const pdf = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n')
    expect(checkDeposit(pdf, limits, 'application/pdf')).toMatchObject({ ok: true, sizeBytes: pdf.length })
    expect(checkDeposit(Buffer.concat([Buffer.alloc(100, 0x20), pdf]), limits, 'application/pdf')).toMatchObject({ ok: true })
    expect(checkDeposit(ok, limits, 'application/pdf')).toMatchObject({ ok: false, problem: { status: 400, detail: expect.stringContaining('not a PDF') } })
    expect(checkDeposit(Buffer.alloc(5000, 0x25), limits, 'application/pdf')).toMatchObject({ ok: false, problem: { status: 413 } })
  })

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
