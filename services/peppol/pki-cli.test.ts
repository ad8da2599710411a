// `facteur pki dev` as a user runs it: the real command in a child process, writing into a temporary folder.
import { afterAll, describe, expect, test } from 'vitest'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../kit/config.js'
import { peppolIdentityFromConfig } from './pki.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const run = (...args: string[]) => promisify(execFile)(process.execPath, ['bin/facteur.mjs', 'pki', ...args], { cwd: root })
  .then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }))

const dir = mkdtempSync(join(tmpdir(), 'facteur-pki-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('facteur pki dev', () => {
  test('writes the PKI, prints the files and the settings that turn Peppol on; refuses to overwrite without --force', async () => {
    const out = join(dir, 'pki')
    const r = await run('dev', '--out', out, '--seat', 'POP000011', '--peer-seat', 'POP000012')
    expect(r.code, r.stderr).toBe(0)
    for (const f of ['root-ca.pem', 'ap-ca.pem', 'smp-ca.pem', 'POP000011.p12', 'POP000012.p12', 'SMP000001.p12', 'POP000011.key.pem', 'POP000011.chain.pem']) {
      expect(existsSync(join(out, f)), f).toBe(true)
    }
    for (const f of ['POP000011.key.pem', 'POP000011.p12', 'POP000011.p12.password', 'SMP000001.p12.password']) {
      expect(statSync(join(out, f)).mode & 0o777, f).toBe(0o600)
    }
    expect(r.stdout).toContain(`export FACTEUR_PEPPOL_SEAT_ID=POP000011`)
    expect(r.stdout).toContain(`export FACTEUR_PEPPOL_KEYSTORE=${join(out, 'POP000011.p12')}`)
    expect(r.stdout).toContain(`export FACTEUR_PEPPOL_KEYSTORE_PASSWORD="$(cat ${join(out, 'POP000011.p12.password')})"`)
    expect(r.stdout).toContain(`export FACTEUR_PEPPOL_AP_CA=${join(out, 'ap-ca.pem')}`)
    expect(r.stdout).toContain(`export FACTEUR_PEPPOL_SMP_CA=${join(out, 'smp-ca.pem')}`)
    // The SMP is served under /smp: the hint for a sender on the same machine says so.
    expect(r.stdout).toContain('FACTEUR_PEPPOL_SMP_URL=http://127.0.0.1:<port>/smp')
    expect(r.stdout).not.toMatch(/in progress|not send or receive/)

    // The printed settings, as the hub would read them.
    const identity = peppolIdentityFromConfig(loadConfig({
      FACTEUR_PEPPOL_SEAT_ID: 'POP000011', FACTEUR_PEPPOL_KEYSTORE: join(out, 'POP000011.p12'),
      FACTEUR_PEPPOL_KEYSTORE_PASSWORD: readFileSync(join(out, 'POP000011.p12.password'), 'utf8').trim(),
      FACTEUR_PEPPOL_AP_CA: join(out, 'ap-ca.pem'), FACTEUR_PEPPOL_SMP_CA: join(out, 'smp-ca.pem'),
    }))
    expect(identity?.identity.certificate.subjectCN).toBe('POP000011')

    const before = readFileSync(join(out, 'POP000011.pem'), 'utf8')
    const again = await run('dev', '--out', out, '--seat', 'POP000011', '--peer-seat', 'POP000012')
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/refused: .*already in .*--force/)
    expect(readFileSync(join(out, 'POP000011.pem'), 'utf8')).toBe(before)
  }, 120_000)

  test('usage errors exit 2: no subcommand, an unknown option, a seat id of the wrong shape', async () => {
    expect((await run()).code).toBe(2)
    expect((await run('dev', '--nope')).code).toBe(2)
    const bad = await run('dev', '--out', join(dir, 'bad'), '--seat', 'AP-1')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/seat id "AP-1": a Peppol seat id is P, two capital letters and six digits/)
    expect(existsSync(join(dir, 'bad'))).toBe(false)
    const help = await run('--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/usage: facteur pki dev/)
  }, 60_000)
})
