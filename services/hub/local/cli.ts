// `npm run infra:up | infra:down | infra:status`: the local Kafka and registry on their own, kept running
// between `npm start` and `npm test` runs (which reuse them) until `infra:down`.
import { resolve } from 'node:path'
import { infraDown, infraUp, recordedServers } from './infra.js'

const runDir = resolve(process.env.FACTEUR_RUN_DIR ?? '.facteur')
const command = process.argv[2]
const say = (m: string) => process.stderr.write(`${m}\n`)

if (command === 'up') {
  const r = await infraUp(runDir, say)
  say(`Kafka ${r.kafka.brokers} (pid ${r.kafka.pid}), registry ${r.registry.url} (pid ${r.registry.pid}); stop with \`npm run infra:down\``)
} else if (command === 'down') {
  say((await infraDown(runDir)) ? 'stopped' : 'nothing recorded to stop')
} else if (command === 'status') {
  const r = await recordedServers(runDir)
  say(r ? JSON.stringify(r, null, 2) : 'no local servers running from this checkout')
} else {
  say('usage: infra up | down | status')
  process.exit(2)
}
