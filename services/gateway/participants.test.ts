import { describe, expect, test } from 'vitest'
import { parseAddress, parseParticipant } from './participants.js'

describe('electronic addresses', () => {
  test.each([
    ['0009:12345678200010', '0009:12345678200010'],
    [' 0088:5790000435975 ', '0088:5790000435975'],
    ['9957:FR44732829320', '9957:fr44732829320'],
  ])('%s is stored as %s', (raw, stored) => {
    expect(parseAddress(raw)).toEqual({ ok: true, value: stored })
  })

  test.each(['12345678200010', ':123', '0009:', 'scheme with space:1', '0009:a b'])('%s is refused with an example', (raw) => {
    const r = parseAddress(raw)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.message).toMatch(/expected scheme:value, e\.g\. 0009:/)
  })
})

describe('participant body', () => {
  test.each(['file:///srv/inbox', 'https://ap.example.org/as4', 'http://127.0.0.1:9000/in', 'peppol:'])('endpoint %s is accepted', (endpoint) => {
    expect(parseParticipant({ name: ' Mairie ', endpoint })).toEqual({ ok: true, value: { name: 'Mairie', endpoint, format: 'original' } })
    expect(parseParticipant({ name: 'Mairie', endpoint, format: 'factur-x' })).toEqual({ ok: true, value: { name: 'Mairie', endpoint, format: 'factur-x' } })
    expect(parseParticipant({ name: 'Mairie', endpoint, format: 'pdf' })).toEqual({ ok: false, message: '`format` is original or factur-x' })
  })

  test.each([
    [{ endpoint: 'file:///x' }, /`name` is required/],
    [{ name: 'x' }, /`endpoint` is required/],
    [{ name: 'x', endpoint: 'ftp://h/x' }, /protocol ftp: is not supported/],
    [{ name: 'x', endpoint: 'file://host/x' }, /file:\/\/\/absolute\/path/],
    [{ name: 'x', endpoint: 'not a url' }, /is not a URL/],
    [{ name: 'x', endpoint: 'peppol:0088:123' }, /protocol peppol: is not supported.*or peppol:/],
  ])('%j is refused: %s', (body, message) => {
    const r = parseParticipant(body)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.message).toMatch(message)
  })
})
