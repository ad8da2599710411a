#!/usr/bin/env node
// `npx facteur <command>`: the hub's command-line tools. Plain JavaScript that registers tsx, then loads the
// TypeScript of the command.
import { register } from 'tsx/esm/api'

const commands = {
  validate: '../services/validation/cli.ts',
  audit: '../services/status/audit-cli.ts',
  dlq: '../services/gateway/dlq-cli.ts',
  deliveries: '../services/gateway/deliveries-cli.ts',
}

const [command, ...rest] = process.argv.slice(2)
if (!command || command === '-h' || command === '--help' || !(command in commands)) {
  const known = Object.keys(commands).join(', ')
  process.stderr.write(`${command && !command.startsWith('-') ? `facteur: unknown command ${command}\n` : ''}usage: facteur <command> [options]\ncommands: ${known}\n(facteur <command> --help for one command)\n`)
  process.exit(command && !command.startsWith('-') ? 2 : 0)
}
register()
const { main } = await import(new URL(commands[command], import.meta.url).href)
process.exitCode = await main(rest)
