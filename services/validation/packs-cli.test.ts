// `facteur packs`: in this process on a copy of the production manifest pinned to our stand-in pack
// (testdata/supplied-cii-sample.sch, see supplied-packs.test.ts), and as a user runs it, in a child process on
// the production manifest, with a packs folder of its own.
import { afterAll, describe, expect, test } from 'vitest'
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { ensureArtefacts, loadManifest, sha256, suppliedSefPath, type Manifest } from './artefacts.js'
import { main } from './packs-cli.js'
import { suppliedRulesFile } from './supplied-packs.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const standInPath = fileURLToPath(new URL('./testdata/supplied-cii-sample.sch', import.meta.url))
const standIn = readFileSync(standInPath)
const production = loadManifest()
const peppolCii = production.suppliedPacks!.find((p) => p.id === 'peppol-bis-billing-3-cii')!
const manifest: Manifest = { ...production, suppliedPacks: [{ ...peppolCii, supplied: { ...peppolCii.supplied, sha256: sha256(standIn) } }] }

const folders: string[] = []
const folder = () => { const d = mkdtempSync(join(tmpdir(), 'facteur-packs-cli-')); folders.push(d); return d }
afterAll(() => { for (const d of folders) rmSync(d, { recursive: true, force: true }) })

/** `main` in this process, its output captured. */
async function packs(args: string[], packsDir: string) {
  let stdout = '', stderr = ''
  const code = await main(args, { manifest, packsDir, out: (t) => { stdout += t }, err: (t) => { stderr += t } })
  return { code, stdout, stderr }
}

describe('facteur packs (in process, the stand-in pinned)', () => {
  test('list: not supplied, with the file, its sha256, where to download it and the command', async () => {
    const r = await packs(['list'], folder())
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('peppol-bis-billing-3-cii 3.0.19  cii  NOT SUPPLIED')
    for (const part of [sha256(standIn), peppolCii.supplied.url!, peppolCii.supplied.from, 'npx facteur packs add PEPPOL-EN16931-CII.sch', 'FACTEUR-PACK-MISSING']) expect(r.stdout).toContain(part)
  })

  test('add refuses a file that is none of the expected packs, listing them with their hashes; nothing is copied', async () => {
    const dir = folder()
    const wrong = join(folder(), 'PEPPOL-EN16931-CII.sch')
    writeFileSync(wrong, standIn.toString('utf8').replace('FX-SUP-01', 'FX-SUP-99'))
    const r = await packs(['add', wrong], dir)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`sha256 ${sha256(readFileSync(wrong))}) is none of the packs this hub expects; refused`)
    expect(r.stderr).toContain('another release, or an altered copy')
    expect(r.stderr).toContain(`peppol-bis-billing-3-cii 3.0.19 (cii): PEPPOL-EN16931-CII.sch, sha256 ${sha256(standIn)}`)
    expect(r.stderr).toContain(peppolCii.supplied.url!)
    expect(readdirSync(dir)).toEqual([])
  })

  test('add accepts the right file: copied under the pack\'s file name, compiled for both engines, then listed as supplied', { timeout: 180_000 }, async () => {
    const dir = folder()
    const download = join(folder(), 'download.sch')
    copyFileSync(standInPath, download)
    const r = await packs(['add', download], dir)
    expect(r.stderr).not.toContain('facteur packs:')
    expect(r.code).toBe(0)
    const dest = join(dir, 'PEPPOL-EN16931-CII.sch')
    expect(readFileSync(dest)).toEqual(standIn)
    expect(readdirSync(dir)).toEqual(['PEPPOL-EN16931-CII.sch'])
    const entry = manifest.suppliedPacks![0]!
    expect(r.stdout).toContain(`peppol-bis-billing-3-cii 3.0.19`)
    expect(r.stdout).toContain(`copied to ${dest}`)
    expect(r.stdout).toContain(suppliedSefPath(entry, manifest))
    expect(r.stdout).toContain(suppliedRulesFile(entry))
    expect(existsSync(suppliedSefPath(entry, manifest))).toBe(true)
    expect(existsSync(suppliedRulesFile(entry))).toBe(true)
    expect(r.stdout).toMatch(/native engine: 7 asserts and reports in 3 patterns/)

    const listed = await packs(['list'], dir)
    expect(listed.stdout).toContain('peppol-bis-billing-3-cii 3.0.19  cii  SUPPLIED')
    expect(listed.stdout).toContain(`found: ${dest}`)
    // and the hub finds it there
    const artefacts = await ensureArtefacts({ manifest, packsDir: dir })
    expect(artefacts.supplied).toEqual([expect.objectContaining({ status: 'supplied', path: dest })])

    // adding it again, from the folder itself, is harmless
    const again = await packs(['add', dest], dir)
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('already in the packs folder')
  })

  test('add replaces a file of the pack\'s name that is not the pinned release, and says so', async () => {
    const dir = folder()
    writeFileSync(join(dir, 'PEPPOL-EN16931-CII.sch'), '<old/>')
    expect((await packs(['list'], dir)).stdout).toContain(`has sha256 ${sha256('<old/>')}: not this release`)
    const r = await packs(['add', standInPath], dir)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`replacing a file with sha256 ${sha256('<old/>')}`)
    expect(readFileSync(join(dir, 'PEPPOL-EN16931-CII.sch'))).toEqual(standIn)
  })

  test('usage errors: exit code 2', async () => {
    const dir = folder()
    expect((await packs([], dir)).code).toBe(2)
    expect((await packs(['add'], dir)).code).toBe(2)
    expect((await packs(['remove', 'x'], dir)).code).toBe(2)
    expect((await packs(['add', join(dir, 'nope.sch')], dir))).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') })
    expect((await packs(['--help'], dir))).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: facteur packs') })
  })
})

describe('npx facteur packs (the real command, production manifest)', () => {
  const packsDir = folder()
  const run = (...args: string[]) => promisify(execFile)(process.execPath, ['bin/facteur.mjs', 'packs', ...args], { cwd: root, env: { ...process.env, FACTEUR_PACKS_DIR: packsDir } })
    .then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }))

  test('list: OpenPeppol\'s CII rules, not supplied, where to download them', async () => {
    const r = await run('list')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`packs folder: ${packsDir} (FACTEUR_PACKS_DIR)`)
    expect(r.stdout).toContain('peppol-bis-billing-3-cii 3.0.19  cii  NOT SUPPLIED')
    expect(r.stdout).toContain('78dcef8d4a2d502e16affbb342f319aaea985da5b1154d529c8627fb628e7a89')
    expect(r.stdout).toContain(peppolCii.supplied.url!)
    const json = await run('list', '--json')
    expect(JSON.parse(json.stdout.trim())).toMatchObject({ id: 'peppol-bis-billing-3-cii', supplied: false, sha256: peppolCii.supplied.sha256 })
  })

  test('add refuses a file that is not OpenPeppol\'s pinned release', async () => {
    const r = await run('add', standInPath)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('is none of the packs this hub expects; refused')
    expect(r.stderr).toContain('PEPPOL-EN16931-CII.sch, sha256 78dcef8d4a2d502e16affbb342f319aaea985da5b1154d529c8627fb628e7a89')
    expect(readdirSync(packsDir)).toEqual([])
  })
})
