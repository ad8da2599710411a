// CLI start-up benchmark: `npm run bench:cli [-- --runs N --file F]` (default 10 runs of
// test/fixtures/ubl-invoice.xml). Times `npx facteur validate <file>` run again and again, one after another
// as hyperfine does (one warm-up run first), and prints the wall time mean/min/max and the CPU the runs took
// (user + system of the child processes, read from /proc on Linux). For comparison it also times
// `node bin/facteur.mjs validate` (what npx runs once it has found the bin: the difference is npm's own
// start-up) and the TypeScript sources through tsx (FACTEUR_TSX=1, as before the compiled build; issue 11).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildIsCurrent, repoRoot } from '../bin/build.mjs'

const { values } = parseArgs({ options: {
  runs: { type: 'string', default: '10' },
  file: { type: 'string', default: 'test/fixtures/ubl-invoice.xml' },
} })
const runs = Number(values.runs)
if (!Number.isInteger(runs) || runs < 1) { console.error('--runs takes a positive whole number'); process.exit(2) }
const file = values.file

// CPU time of the waited-for children (cutime + cstime, fields 16 and 17 of /proc/self/stat), in ms; null elsewhere.
const ticksPerSecond = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100 } catch { return 100 } })()
function childrenCpuMs(): number | null {
  if (!existsSync('/proc/self/stat')) return null
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / ticksPerSecond
}

type Variant = { label: string; command: string; args: string[]; env?: Record<string, string> }
const current = buildIsCurrent()
const variants: Variant[] = [
  { label: `npx facteur validate (${current ? 'compiled dist/' : 'tsx: dist/ missing or stale'})`, command: 'npx', args: ['facteur', 'validate', file] },
  { label: `node bin/facteur.mjs validate (${current ? 'compiled dist/' : 'tsx'})`, command: process.execPath, args: [join(repoRoot, 'bin/facteur.mjs'), 'validate', file] },
  { label: 'npx facteur validate, sources through tsx', command: 'npx', args: ['facteur', 'validate', file], env: { FACTEUR_TSX: '1' } },
]

function once(v: Variant): { ms: number; cpuMs: number | null } {
  const cpuBefore = childrenCpuMs()
  const started = performance.now()
  const result = spawnSync(v.command, v.args, { cwd: repoRoot, env: { ...process.env, ...v.env }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  const ms = performance.now() - started
  if (result.status !== 0) throw new Error(`${v.command} ${v.args.join(' ')} exited with ${result.status ?? result.signal}:\n${result.stderr}`)
  const cpuAfter = childrenCpuMs()
  return { ms, cpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore }
}

const fmt = (ms: number) => `${Math.round(ms)} ms`.padStart(8)
console.log(`facteur validate ${file}: ${runs} runs each after one warm-up (${new Date().toISOString()}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`)
if (!current) console.log('note: dist/ is missing or older than the sources (npm run build): the "compiled" runs go through tsx too')
console.log(`${'command'.padEnd(58)} ${'mean'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)} ${'CPU mean'.padStart(9)}`)
for (const v of variants) {
  once(v)
  const samples = Array.from({ length: runs }, () => once(v))
  const ms = samples.map((s) => s.ms)
  const cpu = samples.every((s) => s.cpuMs !== null) ? samples.reduce((a, s) => a + s.cpuMs!, 0) / runs : null
  console.log(`${v.label.padEnd(58)} ${fmt(ms.reduce((a, b) => a + b, 0) / runs)} ${fmt(Math.min(...ms))} ${fmt(Math.max(...ms))} ${cpu === null ? '       ?' : ` ${fmt(cpu)}`}`)
}
