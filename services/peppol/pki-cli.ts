// `npx facteur pki dev`: a local test PKI shaped like OpenPeppol's (pki.ts createDevPki), written to a folder, and
// the settings that turn Peppol on with it. For trying Peppol on one machine and for tests: no one else trusts it.
import { existsSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { FacteurError } from '../kit/errors.js'
import { createDevPki, devPkiDefaults, devPkiPaths, writeDevPki, type WrittenPki } from './pki.js'

const usage = `usage: facteur pki dev [--out DIR] [--seat ${devPkiDefaults.seatId}] [--peer-seat ${devPkiDefaults.peerSeatId}] [--smp ${devPkiDefaults.smpId}] [--force]

dev   creates a local test PKI shaped like OpenPeppol's: a root CA, an AP CA and an SMP CA under it, a certificate
      for this hub's access point (CN = its seat id), one for a peer access point on the same machine, and one for
      an SMP; writes each as PEM (certificate, key, chain) and PKCS#12 (.p12, with its password in a file beside it,
      mode 0600), then prints the settings that turn Peppol on with them. Test only: no one else trusts this CA.

options:
  --out DIR           where to write (default .facteur/pki under the current directory)
  --seat ID           the hub's seat id (default ${devPkiDefaults.seatId})
  --peer-seat ID      the peer's seat id (default ${devPkiDefaults.peerSeatId})
  --smp ID            CN of the SMP certificate (default ${devPkiDefaults.smpId})
  --force             replace the files of an earlier run
  -h, --help          this text

exit code 0 when written, 1 when refused (files already there) or failed, 2 on a usage error`

/** Single-quoted for a POSIX shell when it needs quoting. */
const shell = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`)

/** What `pki dev` prints: the files, then the environment that turns Peppol on. */
export function formatWritten(w: WrittenPki, seatId: string, peerSeatId: string, smpId: string, cwd = process.cwd()): string {
  const shown = (p: string) => { const r = relative(cwd, p); return r && !r.startsWith('..') && !isAbsolute(r) ? r : p }
  const width = Math.max(...w.files.map((f) => shown(f.path).length))
  const hub = w.entries[seatId]!
  const peer = w.entries[peerSeatId]!
  const smp = w.entries[smpId]!
  return [
    `facteur pki dev: a test PKI in ${w.dir} (a local CA that no one else trusts: for tests only)`,
    ...w.files.map((f) => `  ${shown(f.path).padEnd(width)}  ${f.what}${f.secret ? ' [mode 0600]' : ''}`),
    '',
    `The keystore passwords are in the .p12.password files (mode 0600), e.g. ${hub.passwordFile}.`,
    '',
    'To turn Peppol on for this hub, put in its environment:',
    `  export FACTEUR_PEPPOL_SEAT_ID=${seatId}`,
    `  export FACTEUR_PEPPOL_KEYSTORE=${shell(hub.p12)}`,
    `  export FACTEUR_PEPPOL_KEYSTORE_PASSWORD="$(cat ${shell(hub.passwordFile)})"`,
    `  export FACTEUR_PEPPOL_AP_CA=${shell(w.apCa)}`,
    `  export FACTEUR_PEPPOL_SMP_CA=${shell(w.smpCa)}`,
    '  # optional: the hub publishes its participants in its own SMP (GET /smp/… on the gateway), signed with the SMP key',
    '  # export FACTEUR_PEPPOL_AS4_URL=https://<this hub\'s public host>/as4',
    `  # export FACTEUR_PEPPOL_SMP_KEYSTORE=${shell(smp.p12)}`,
    `  # export FACTEUR_PEPPOL_SMP_KEYSTORE_PASSWORD="$(cat ${shell(smp.passwordFile)})"`,
    '  # optional, for local tests: one SMP for every receiver instead of the SML/BDXL lookup',
    '  # export FACTEUR_PEPPOL_SMP_URL=http://127.0.0.1:<port>/smp FACTEUR_DELIVERY_ALLOWED_HOSTS=127.0.0.1',
    '(or, instead of the keystore, the PEM files:',
    `  export FACTEUR_PEPPOL_CERT=${shell(hub.chain)} FACTEUR_PEPPOL_KEY=${shell(hub.key)})`,
    '',
    `The peer access point ${peerSeatId} (phase4 or a second hub): ${peer.p12} (password in ${peer.passwordFile}),`,
    `trusting ${w.apCa}; the SMP's signing key: ${smp.p12} (password in ${smp.passwordFile}).`,
    `Java reads the keystores: keytool -list -keystore ${shell(hub.p12)} -storetype PKCS12 -storepass "$(cat ${shell(hub.passwordFile)})"`,
  ].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  let args
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: {
      out: { type: 'string' }, seat: { type: 'string' }, 'peer-seat': { type: 'string' }, smp: { type: 'string' },
      force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    } })
  } catch (error) {
    process.stderr.write(`facteur pki: ${(error as Error).message}\n\n${usage}\n`)
    return 2
  }
  const { values, positionals } = args
  if (values.help) { process.stdout.write(`${usage}\n`); return 0 }
  if (positionals.length !== 1 || positionals[0] !== 'dev') {
    process.stderr.write(`${positionals[0] ? `facteur pki: unknown command ${positionals.join(' ')}\n\n` : ''}${usage}\n`)
    return 2
  }
  const seatId = values.seat ?? devPkiDefaults.seatId
  const peerSeatId = values['peer-seat'] ?? devPkiDefaults.peerSeatId
  const smpId = values.smp ?? devPkiDefaults.smpId
  const out = resolve(values.out ?? join('.facteur', 'pki'))
  // Refused before the keys are made (a few seconds of CPU); writeDevPki checks again.
  const existing = devPkiPaths([seatId, peerSeatId, smpId], out).filter((p) => existsSync(p))
  if (existing.length > 0 && !values.force) {
    process.stderr.write(`facteur pki: refused: ${existing.length} file(s) of a PKI already in ${out} (${existing.slice(0, 3).map((p) => relative(out, p)).join(', ')}${existing.length > 3 ? ', …' : ''}); nothing was written (--force replaces them)\n`)
    return 1
  }
  try {
    const pki = await createDevPki({ seatId, peerSeatId, smpId })
    const written = writeDevPki(pki, out, { force: values.force === true })
    process.stdout.write(`${formatWritten(written, seatId, peerSeatId, smpId)}\n`)
    return 0
  } catch (error) {
    if (error instanceof FacteurError && error.code === 'INVALID_REQUEST') {
      process.stderr.write(`facteur pki: ${error.message}\n`)
      return 2
    }
    if (error instanceof FacteurError && error.code === 'CONFLICT') {
      process.stderr.write(`facteur pki: refused: ${error.message}; nothing was written (--force replaces them)\n`)
      return 1
    }
    process.stderr.write(`facteur pki: failed: ${(error as Error).message}\n`)
    return 1
  }
}
