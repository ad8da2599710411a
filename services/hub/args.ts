// The options of `npm start -- …` (services/hub/main.ts). Without any, the six services run in one process
// (hub.ts); `--processes` runs each in a child process of its own (supervisor.ts), and `--replicas N` runs N
// instances of each consumer service (and implies --processes).
import { parseArgs } from 'node:util'

export type HubArgs = { processes: boolean; replicas: number }

export const hubUsage = `usage: npm start [-- --processes] [-- --replicas N]

  (no option)      the six services in one process
  --processes      each service in a child process of its own (\`facteur run <service>\`), restarted if it dies
  --replicas N     N processes of each consumer service (ingest, validation, routing, forwarder, status;
                   one gateway), sharing their consumer groups; implies --processes
  -h, --help       this text`

/** The options, `{ help: true }`, or what is wrong with them. */
export function parseHubArgs(argv: string[]): HubArgs | { help: true } | { error: string } {
  let values
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: {
      processes: { type: 'boolean' }, replicas: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    } }))
  } catch (error) {
    return { error: (error as Error).message }
  }
  if (values.help) return { help: true }
  const replicas = values.replicas === undefined ? 1 : Number(values.replicas)
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 64) return { error: `--replicas takes a whole number from 1 to 64, not ${values.replicas}` }
  return { processes: values.processes === true || values.replicas !== undefined, replicas }
}
