#!/usr/bin/env node
// `npx facteur <command>`: the hub's command-line tools, and `facteur run <service>`. Plain JavaScript that loads
// the command's compiled JavaScript from dist/ when the build is current (bin/build.mjs), else registers tsx and
// loads its TypeScript.
import { fileURLToPath, pathToFileURL } from 'node:url'
import { compiledPath } from './build.mjs'

const commands = {
  validate: '../services/validation/cli.ts',
  packs: '../services/validation/packs-cli.ts',
  audit: '../services/status/audit-cli.ts',
  dlq: '../services/gateway/dlq-cli.ts',
  deliveries: '../services/gateway/deliveries-cli.ts',
  run: '../services/hub/run-cli.ts',
  pki: '../services/peppol/pki-cli.ts',
  peppol: '../services/hub/peppol-cli.ts',
}

const [command, ...rest] = process.argv.slice(2)
if (!command || command === '-h' || command === '--help' || !(command in commands)) {
  const known = Object.keys(commands).join(', ')
  process.stderr.write(`${command && !command.startsWith('-') ? `facteur: unknown command ${command}\n` : ''}usage: facteur <command> [options]\ncommands: ${known}\n(facteur <command> --help for one command)\n`)
  process.exit(command && !command.startsWith('-') ? 2 : 0)
}
const source = fileURLToPath(new URL(commands[command], import.meta.url))
const compiled = compiledPath(source)
if (!compiled) {
  const { register } = await import('tsx/esm/api')
  register()
}
const { main } = await import(pathToFileURL(compiled ?? source).href)
process.exitCode = await main(rest)
