import { describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { recordedClusterId } from './kafka.js'

describe('recordedClusterId', () => {
  it('reads the cluster id a data dir was formatted with, so a restart formats it with the same one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facteur-meta-'))
    writeFileSync(join(dir, 'meta.properties'), '#\n#Sun Nov 29 09:00:00 UTC 2026\nnode.id=1\ndirectory.id=Jx2m0Qn0RpyX5h7nGm5u9A\nversion=1\ncluster.id=q1Sh-9_JQ3yK3aZ7t0f8bw\n')
    expect(recordedClusterId(dir)).toBe('q1Sh-9_JQ3yK3aZ7t0f8bw')
  })

  it('is null for a new data dir (a fresh id is then generated)', () => {
    expect(recordedClusterId(join(tmpdir(), 'facteur-no-such-dir'))).toBeNull()
    const dir = mkdtempSync(join(tmpdir(), 'facteur-meta-'))
    writeFileSync(join(dir, 'meta.properties'), 'node.id=1\nversion=1\n')
    expect(recordedClusterId(dir)).toBeNull()
  })
})
