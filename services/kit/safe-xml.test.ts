import { describe, expect, test } from 'vitest'
import { safeParse, documentText, xmlFindingCodes } from './safe-xml.js'

const limits = { maxBytes: 1 << 16, maxDepth: 10 }

describe('safe XML parsing', () => {
  test('an external entity is refused before anything is read (no DTD at all)', () => {
    const out = safeParse(Buffer.from('<?xml version="1.0"?>\n<!-- c -->\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'), limits)
    expect(out).toMatchObject({ ok: false, finding: { ruleId: xmlFindingCodes.dtdForbidden } })
  })

  test('a parameter-entity attack in UTF-16 is refused too', () => {
    const xml = '\ufeff<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]><r/>'
    expect(safeParse(Buffer.from(xml, 'utf16le'), limits)).toMatchObject({ ok: false, finding: { ruleId: xmlFindingCodes.dtdForbidden } })
  })

  test('a billion-laughs bomb is refused without expansion', () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;&c;&c;</l>'
    expect(safeParse(Buffer.from(bomb), limits)).toMatchObject({ ok: false, finding: { ruleId: xmlFindingCodes.dtdForbidden } })
  })

  test.each([
    ['too deep', '<a>'.repeat(12) + '</a>'.repeat(12), xmlFindingCodes.tooDeep, /deeper than 10 levels/],
    ['empty', '   ', xmlFindingCodes.empty, /empty/],
    ['unclosed', '<a>\n<b>\n</a>', xmlFindingCodes.malformed, /line 3/],
    ['two roots', '<a/><b/>', xmlFindingCodes.malformed, /not well-formed/],
  ])('%s is refused with %s', (_name, xml, ruleId, message) => {
    const out = safeParse(Buffer.from(xml), limits)
    expect(out.ok).toBe(false)
    if (!out.ok) { expect(out.finding.ruleId).toBe(ruleId); expect(out.finding.message).toMatch(message) }
  })

  test('exactly the depth limit is accepted', () => {
    expect(safeParse(Buffer.from('<a>'.repeat(10) + '</a>'.repeat(10)), limits).ok).toBe(true)
  })

  test('a document over the size limit is refused before parsing', () => {
    expect(safeParse(Buffer.alloc(limits.maxBytes + 1, 0x20), limits)).toMatchObject({ ok: false, finding: { ruleId: xmlFindingCodes.tooLarge } })
  })

  test.each([
    ['UTF-8 with BOM', Buffer.from('\ufeff<a>é</a>')],
    ['ISO-8859-1', Buffer.concat([Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>'), Buffer.from([0xe9]), Buffer.from('</a>')])],
    ['UTF-16LE', Buffer.from('\ufeff<?xml version="1.0" encoding="UTF-16"?><a>é</a>', 'utf16le')],
  ])('%s is read, and its text decoded for the rule engine', (_name, bytes) => {
    const out = safeParse(bytes, limits)
    expect(out.ok).toBe(true)
    if (out.ok) expect(documentText(bytes, out.doc)).toMatch(/<a>é<\/a>/)
  })
})
