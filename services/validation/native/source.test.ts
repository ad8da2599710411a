// The rules cache of source.ts: what a pack loads from the cache is exactly what its loaders produce, and the
// cache key follows the pack's file.
import { afterAll, describe, expect, test } from 'vitest'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureArtefacts } from '../artefacts.js'
import { loadPackRules, packRules, rulesCacheFile } from './source.js'

const artefacts = await ensureArtefacts()
const cacheDir = mkdtempSync(join(tmpdir(), 'facteur-rules-'))
const previous = process.env.FACTEUR_CACHE_DIR
process.env.FACTEUR_CACHE_DIR = cacheDir
afterAll(() => {
  if (previous === undefined) delete process.env.FACTEUR_CACHE_DIR
  else process.env.FACTEUR_CACHE_DIR = previous
  rmSync(cacheDir, { recursive: true, force: true })
})

describe('rule packs cached as data', () => {
  // An official XSLT (the largest) and our own Schematron.
  test.each(['en16931-ubl', 'fr-b2g'])('%s: the cached rules are the loaded rules', (id) => {
    const entry = artefacts.packs.find((p) => p.id === id)!
    const file = rulesCacheFile(entry)
    expect(file.startsWith(cacheDir)).toBe(true)
    expect(existsSync(file)).toBe(false)
    const first = packRules(entry)
    expect(existsSync(file)).toBe(true)
    const cached = packRules(entry)
    expect(cached).not.toBe(first)
    expect(cached).toStrictEqual(loadPackRules(entry))
  })

  test('another file for the pack (a new pinned version) is another cache entry', () => {
    const entry = artefacts.packs.find((p) => p.id === 'en16931-ubl')!
    if (entry.schematron !== undefined) throw new Error('en16931-ubl is an official XSLT')
    expect(rulesCacheFile({ ...entry, sha256: '0'.repeat(64) })).not.toBe(rulesCacheFile(entry))
  })
})
