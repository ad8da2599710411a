#!/usr/bin/env node
// `npm run build` (also run by npm postinstall, after the artefacts): the TypeScript of services/ and schemas/
// compiled to JavaScript in dist/, so that the CLI and the services start without compiling at run time (tsx
// costs about 0.6 s of CPU in every process and worker thread it starts; issue 11).
// A build is used only while it is current: dist/build.json keeps a fingerprint of the sources (path, size and
// modification time of every file under services/, schemas/ and schematron/, with package.json and the
// tsconfigs). Any change (an edit, a new or deleted file, a checkout) makes the launchers (bin/facteur.mjs,
// bin/start.mjs) run the TypeScript through tsx again until the next `npm run build`, so an edited .ts never
// runs stale. FACTEUR_TSX=1 runs the sources through tsx even when the build is current.
// Plain Node with no dependencies (the TypeScript compiler is looked up when building), since the launchers
// read it before anything else.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..')

/** What the build compiles or copies; the fingerprint covers exactly these. */
const sourceDirs = ['services', 'schemas', 'schematron']
const sourceFiles = ['package.json', 'tsconfig.json', 'tsconfig.build.json']
// Unit tests are neither compiled nor copied: editing one does not make the build stale.
const isTest = (name) => name.endsWith('.test.ts')

function walk(root, dir, out) {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(root, path, out)
    else if (entry.isFile() && !isTest(entry.name)) out.push(path)
  }
  return out
}

/** A hash over path, size and modification time of every source the build depends on. */
export function sourceFingerprint(root = repoRoot) {
  const files = sourceDirs.filter((d) => existsSync(join(root, d))).flatMap((d) => walk(root, d, []))
  files.push(...sourceFiles.filter((f) => existsSync(join(root, f))))
  const hash = createHash('sha256')
  for (const file of files.sort()) {
    const st = statSync(join(root, file))
    hash.update(`${file.split(sep).join('/')}\t${st.size}\t${st.mtimeMs}\n`)
  }
  return hash.digest('hex')
}

/** True when dist/ was built from the sources as they are now. */
export function buildIsCurrent(root = repoRoot) {
  let recorded
  try { recorded = JSON.parse(readFileSync(join(root, 'dist', 'build.json'), 'utf8')) } catch { return false }
  return recorded.fingerprint === sourceFingerprint(root)
}

/**
 * The compiled JavaScript of `tsPath` (a .ts file under the checkout) when the build is current and has it,
 * else null: run `tsPath` through tsx then.
 */
export function compiledPath(tsPath, root = repoRoot, env = process.env) {
  if (env.FACTEUR_TSX === '1' || !buildIsCurrent(root)) return null
  const js = join(root, 'dist', relative(root, tsPath)).replace(/\.ts$/, '.js')
  return existsSync(js) ? js : null
}

/**
 * Compiles into dist/ (a fresh folder, renamed into place when complete): tsc without type checking (that is
 * `npm run typecheck`'s job; the sources are written for per-file compilation, `isolatedModules`), then the
 * other files of the source folders (migrations, Avro schemas, packs.json, …) copied beside the JavaScript,
 * since modules find them relative to themselves. Returns false, with the reason, when TypeScript is missing.
 */
export function build(root = repoRoot, say = (m) => process.stderr.write(`facteur: ${m}\n`)) {
  const started = Date.now()
  // Taken before compiling: a source changed during the build makes the build stale, never falsely current.
  const fingerprint = sourceFingerprint(root)
  let tsc
  try { tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc') } catch {
    say('TypeScript is not installed (npm install --omit=dev?): no compiled build; the commands run the sources through tsx')
    return false
  }
  const out = join(root, `dist.${process.pid}.tmp`)
  rmSync(out, { recursive: true, force: true })
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    rmSync(out, { recursive: true, force: true })
    throw new Error(`tsc failed (exit ${result.status ?? result.signal}); see the messages above`)
  }
  for (const dir of sourceDirs.filter((d) => existsSync(join(root, d)))) {
    for (const file of walk(root, dir, []).filter((f) => !f.endsWith('.ts'))) {
      mkdirSync(dirname(join(out, file)), { recursive: true })
      cpSync(join(root, file), join(out, file))
    }
  }
  writeFileSync(join(out, 'build.json'), `${JSON.stringify({ fingerprint, builtAt: new Date().toISOString() }, null, 2)}\n`)
  rmSync(join(root, 'dist'), { recursive: true, force: true })
  renameSync(out, join(root, 'dist'))
  say(`compiled JavaScript ready in dist/ (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  return true
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try { build() } catch (error) {
    process.stderr.write(`facteur: the build failed: ${error.message}\n`)
    process.exit(1)
  }
}
