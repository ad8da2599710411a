// The launchers run dist/ only while it was built from the sources as they are (bin/build.mjs): checked here
// on a checkout of its own (a temporary folder), without compiling anything.
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildIsCurrent, compiledPath, sourceFingerprint } from './build.mjs'

let root: string
const write = (path: string, text: string) => { mkdirSync(join(root, path, '..'), { recursive: true }); writeFileSync(join(root, path), text) }
const recordBuild = () => write('dist/build.json', JSON.stringify({ fingerprint: sourceFingerprint(root) }))

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'facteur-build-'))
  write('package.json', '{}')
  write('services/ingest/main.ts', 'export {}')
  write('services/kit/migrations/001.sql', 'select 1')
  write('schemas/topic.avsc', '{}')
  write('dist/services/ingest/main.js', 'export {}')
  recordBuild()
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('is the build current', () => {
  test('as built: the compiled module is used', () => {
    expect(buildIsCurrent(root)).toBe(true)
    expect(compiledPath(join(root, 'services/ingest/main.ts'), root, {})).toBe(join(root, 'dist/services/ingest/main.js'))
  })

  test.each([
    ['a source edited', () => write('services/ingest/main.ts', 'export const x = 1')],
    ['a source touched, same content', () => utimesSync(join(root, 'services/ingest/main.ts'), new Date(), new Date(Date.now() + 5_000))],
    ['a source added', () => write('services/ingest/extra.ts', 'export {}')],
    ['a source deleted', () => rmSync(join(root, 'services/ingest/main.ts'))],
    ['a migration edited (files beside the code are copied into dist/)', () => write('services/kit/migrations/001.sql', 'select 2')],
    ['an Avro schema added', () => write('schemas/other.avsc', '{}')],
    ['package.json changed', () => write('package.json', '{"name": "x"}')],
    ['no build record', () => rmSync(join(root, 'dist/build.json'))],
  ])('%s: stale, the sources run through tsx', (_what, change) => {
    change()
    expect(buildIsCurrent(root)).toBe(false)
    expect(compiledPath(join(root, 'services/ingest/main.ts'), root, {})).toBeNull()
  })

  test('a unit test edited: still current (tests are not compiled)', () => {
    write('services/ingest/ingest.test.ts', 'export {}')
    expect(buildIsCurrent(root)).toBe(true)
  })

  test('a module the build does not have, or FACTEUR_TSX=1: the sources', () => {
    expect(compiledPath(join(root, 'services/routing/main.ts'), root, {})).toBeNull()
    expect(compiledPath(join(root, 'services/ingest/main.ts'), root, { FACTEUR_TSX: '1' })).toBeNull()
  })
})
