#!/usr/bin/env node
// `npm start` on a fresh clone: install the locked dependencies if they are missing or older than the
// lockfile (this also resolves the validation artefacts and compiles dist/, see the postinstall script), then
// run the hub: its compiled JavaScript when the build is current (bin/build.mjs), else the TypeScript under tsx.
// Plain Node with no dependencies, since it runs before they exist.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compiledPath } from './build.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const installed = join(root, 'node_modules', '.package-lock.json')
const lock = join(root, 'package-lock.json')
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  process.stderr.write('facteur: installing dependencies (npm install, from the lockfile) …\n')
  const env = { ...process.env }
  // libxmljs2 builds from source; use the installed Node headers rather than downloading them.
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node_version.h')) env.npm_config_nodedir = '/usr'
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const result = spawnSync(npm, ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env })
  if (result.status !== 0) {
    process.stderr.write('facteur: npm install failed; see the messages above\n')
    process.exit(result.status ?? 1)
  }
}
const source = join(root, 'services/hub/main.ts')
const compiled = compiledPath(source)
if (!compiled && existsSync(join(root, 'dist', 'build.json')) && process.env.FACTEUR_TSX !== '1') process.stderr.write('facteur: dist/ is older than the sources; running them through tsx (npm run build compiles them again)\n')
const hub = spawn(process.execPath, [...(compiled ? [compiled] : ['--import', 'tsx', source]), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
// The hub stops itself within FACTEUR_SHUTDOWN_TIMEOUT_MS (services/hub/main.ts); this is the backstop should it
// hang anyway (its servers then die with their watchdog, see services/hub/local/processes.ts).
const shutdownTimeoutMs = Number(process.env.FACTEUR_SHUTDOWN_TIMEOUT_MS) || 20_000
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    hub.kill(signal)
    setTimeout(() => hub.kill('SIGKILL'), shutdownTimeoutMs + 10_000).unref()
  })
}
hub.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
