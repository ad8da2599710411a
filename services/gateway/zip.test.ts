import { describe, expect, test } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { zip } from './zip.js'

describe('zip', () => {
  test('Info-ZIP\'s unzip tests the archive and gives the files back byte for byte, UTF-8 names included', () => {
    const files = [
      { name: 'FCT-2026-0001.xml', data: Buffer.from('<Invoice/>\n') },
      { name: 'facture-été.pdf', data: Buffer.from([0x25, 0x50, 0x44, 0x46, 0, 1, 2, 255]) },
      { name: 'vide.txt', data: Buffer.alloc(0) },
    ]
    const dir = mkdtempSync(join(tmpdir(), 'facteur-zip-'))
    try {
      const archive = join(dir, 'a.zip')
      writeFileSync(archive, zip(files.map((f) => ({ ...f, modified: new Date(2026, 10, 29, 14, 30, 12) }))))
      // Info-ZIP's unzip checks the archive (Debian's ignores the UTF-8 flag for names: CPython's zipfile reads them).
      expect(execFileSync('unzip', ['-t', archive]).toString()).toMatch(/No errors detected/)
      expect(execFileSync('unzip', ['-l', archive]).toString()).toMatch(/2026-11-29 14:30|11-29-2026 14:30/)
      const read = JSON.parse(execFileSync('python3', ['-c', [
        'import json, sys, zipfile',
        'z = zipfile.ZipFile(sys.argv[1])',
        'assert z.testzip() is None',
        'print(json.dumps([[i.filename, z.read(i).hex()] for i in z.infolist()]))',
      ].join('\n'), archive]).toString()) as [string, string][]
      expect(read).toEqual(files.map((f) => [f.name, f.data.toString('hex')]))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
