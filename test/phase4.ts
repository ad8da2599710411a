// phase4 (the reference Peppol AS4 implementation, 4.4.1 from Maven Central) as a peer for the interop tests:
// test/interop/phase4/Phase4Peer.java, run as a receiver (an AS4 endpoint on 127.0.0.1) or as a one-shot sender.
//
// ensurePhase4() resolves the dependencies with Maven (about 100 jars, 44 MB into ~/.m2 on the first run) and
// compiles the peer with javac; the classpath and the classes are cached under ~/.cache/facteur/phase4/<sha256
// of the pom and the sources>/, so later runs need neither Maven nor the network. Every file a peer writes
// (raw requests and responses, payloads, ebMS values, its log) stays in a folder the caller can inspect.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, createWriteStream } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { cacheDir } from '../services/hub/local/maven.js'
import type { WrittenPki } from '../services/peppol/pki.js'

const run = promisify(execFile)
const peerDir = join(dirname(fileURLToPath(import.meta.url)), 'interop', 'phase4')
const pom = join(peerDir, 'pom.xml')
/** Pinned like the rest of the project's Maven calls (services/hub/local/maven.ts): no plugin-prefix lookup. */
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1'
const say = (line: string) => process.stderr.write(`[phase4] ${line}\n`)
/**
 * The peers are short-lived JVMs on a busy 2-core machine: C1 only and the serial collector halve the CPU of a
 * send (measured: about 4.5 s of CPU instead of 9.5 s, 7 s of wall time instead of 15 s), at no cost to a test.
 */
const JVM_OPTIONS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC']

// ---------------------------------------------------------------------------------------------------------------
// Availability, resolution and compilation

export type Phase4Availability = { ok: true } | { ok: false; reason: string }

const works = (command: string, args: string[]) => {
  try { execFileSync(command, args, { stdio: 'ignore', timeout: 60_000 }); return true } catch { return false }
}
let availability: Phase4Availability | undefined

/** Whether the peer can run here, and if not why (for a visible skip): a JDK, and Maven until the cache is warm. */
export function phase4Available(): Phase4Availability {
  if (availability) return availability
  if (!works('java', ['-version'])) availability = { ok: false, reason: 'no `java` on the PATH (the phase4 peer needs a JDK 17+)' }
  else if (!works('javac', ['-version'])) availability = { ok: false, reason: 'no `javac` on the PATH (the phase4 peer is compiled at test time: install a JDK, not only a JRE)' }
  else if (!cached() && !works('mvn', ['-v'])) availability = { ok: false, reason: 'no `mvn` on the PATH: Maven resolves phase4 from Maven Central on the first run' }
  else availability = { ok: true }
  return availability
}

function sourceFiles(): string[] {
  return readdirSync(peerDir).filter((f) => f.endsWith('.java')).sort().map((f) => join(peerDir, f))
}

/** ~/.cache/facteur/phase4/<sha256 of the pom and every source, names included>. */
function cacheFolder(): string {
  const hash = createHash('sha256')
  for (const file of [pom, ...sourceFiles()]) hash.update(`${file.slice(peerDir.length)}\0`).update(readFileSync(file)).update('\0')
  return join(cacheDir(), 'phase4', hash.digest('hex'))
}

const pomHash = () => createHash('sha256').update(readFileSync(pom)).digest('hex')

/** A classpath resolved earlier from the same pom (by a build of other sources), when its jars are still there. */
function resolvedClasspath(): string | null {
  const root = join(cacheDir(), 'phase4')
  if (!existsSync(root)) return null
  const wanted = pomHash()
  for (const name of readdirSync(root)) {
    const folder = join(root, name)
    try {
      if (readFileSync(join(folder, 'pom.sha256'), 'utf8').trim() !== wanted) continue
      const jars = readFileSync(join(folder, 'classpath.txt'), 'utf8').trim()
      if (jars && jars.split(delimiter).every((jar) => existsSync(jar))) return jars
    } catch { /* not a finished build */ }
  }
  return null
}

type Built = { classpath: string; classes: string }

/** The cached build, when it is complete and the jars it names are still in ~/.m2. */
function cached(folder = cacheFolder()): Built | null {
  const classpathFile = join(folder, 'classpath.txt')
  const classes = join(folder, 'classes')
  if (!existsSync(classpathFile) || !existsSync(join(classes, 'Phase4Peer.class'))) return null
  const jars = readFileSync(classpathFile, 'utf8').trim()
  if (!jars || jars.split(delimiter).some((jar) => !existsSync(jar))) return null
  return { classpath: [classes, jars].join(delimiter), classes }
}

let building: Promise<Built> | undefined

/**
 * The peer's classpath (its compiled classes first, then phase4 and its dependencies) and its classes folder.
 * Resolves and compiles on the first call of a machine (or after the pom or a source changed), then reads the cache.
 */
export function ensurePhase4(): Promise<Built> {
  building ??= build().catch((error: unknown) => { building = undefined; throw error })
  return building
}

async function build(): Promise<Built> {
  const folder = cacheFolder()
  const hit = cached(folder)
  if (hit) return hit
  const available = phase4Available()
  if (!available.ok) throw new Error(`the phase4 peer cannot be built: ${available.reason}`)
  // Built in a scratch folder next to the final one, then renamed: an interrupted run leaves no half cache.
  mkdirSync(dirname(folder), { recursive: true })
  const scratch = mkdtempSync(`${folder}.tmp-`)
  try {
    const started = Date.now()
    const classpathFile = join(scratch, 'classpath.txt')
    // Only the sources changed since the last build: the jars are the same, Maven need not run again.
    const known = resolvedClasspath()
    if (known) writeFileSync(classpathFile, known)
    else {
      say(`resolving com.helger.phase4:phase4-peppol-client:4.4.1 with Maven (${pom}); the first run downloads about 44 MB from Maven Central into ~/.m2 …`)
      await command('mvn', ['-q', '-B', '-f', pom, `${DEPENDENCY_PLUGIN}:build-classpath`, `-Dmdep.outputFile=${classpathFile}`], 'Maven could not resolve phase4')
    }
    writeFileSync(join(scratch, 'pom.sha256'), pomHash())
    const jars = readFileSync(classpathFile, 'utf8').trim()
    say(`${known ? 'reusing the' : 'resolved'} ${jars.split(delimiter).length} jars${known ? ' of an earlier build' : ` in ${((Date.now() - started) / 1000).toFixed(1)} s`}; compiling the peer …`)
    const compileStarted = Date.now()
    // -proc:none: some jars on the classpath carry annotation processors that the peer does not want to run.
    await command('javac', ['-proc:none', '-encoding', 'UTF-8', '-d', join(scratch, 'classes'), '-cp', jars, ...sourceFiles()], 'javac could not compile the phase4 peer')
    say(`compiled in ${((Date.now() - compileStarted) / 1000).toFixed(1)} s; cached in ${folder}`)
    try { renameSync(scratch, folder) } catch (error) {
      if (!cached(folder)) throw error // else another process finished the same build first: use it
      rmSync(scratch, { recursive: true, force: true })
    }
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true })
    throw error
  }
  const built = cached(folder)
  if (!built) throw new Error(`the phase4 build in ${folder} is incomplete`)
  return built
}

async function command(file: string, args: string[], what: string): Promise<void> {
  try {
    await run(file, args, { maxBuffer: 32 * 1024 * 1024 })
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string; message: string }
    if (e.code === 'ENOENT') throw new Error(`${what}: \`${file}\` is not on the PATH`, { cause: error })
    throw new Error(`${what} (${file} ${args.slice(0, 6).join(' ')} …):\n${tail(`${e.stdout ?? ''}${e.stderr ?? ''}` || e.message, 40)}`, { cause: error })
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Identities

/** What the peer needs to act as one access point: its key, and whom it trusts. */
export type Phase4Identity = {
  /** PKCS#12 keystore with the access point's key and certificate. */
  keystore: string
  passwordFile: string
  /** Key entry of the keystore; the first key entry when absent. */
  alias?: string
  /** The CA(s) whose access point certificates are accepted (phase4's TrustedCAChecker), e.g. ap-ca.pem. */
  trust: string
  /** The root(s) those CAs chain to: WSS4J's trust store needs them to validate a chain (Phase4Peer.java explains). */
  trustRoot: string
}

/** An access point of a dev PKI written by writeDevPki (e.g. 'POP000002'), trusting that PKI's AP CA. */
export function devPkiIdentity(pki: WrittenPki, name: string): Phase4Identity {
  const entry = pki.entries[name]
  if (!entry) throw new Error(`the dev PKI in ${pki.dir} has no certificate named ${name} (it has ${Object.keys(pki.entries).join(', ')})`)
  return { keystore: entry.p12, passwordFile: entry.passwordFile, trust: pki.apCa, trustRoot: pki.rootCa }
}

const identityArgs = (id: Phase4Identity) => [
  '--keystore', id.keystore, '--password-file', id.passwordFile, '--trust', id.trust, '--trust-root', id.trustRoot,
  ...(id.alias ? ['--alias', id.alias] : []),
]

// ---------------------------------------------------------------------------------------------------------------
// Receiver

export type Phase4ReceiverOptions = Phase4Identity & {
  /** Seat id of this access point (the CN of its certificate): messages to another To PartyId are refused. */
  seat: string
  /** Where the receiver writes its exchanges and its log (a fresh temporary folder by default). */
  dir?: string
  /** 0 (default): any free port. */
  port?: number
  /** How long to wait for the JVM to answer (default 120 s: it is slow to start on a busy machine). */
  startTimeoutMs?: number
  /** The document types it receives (`busdox-docid-qns::…`); others get EBMS:0004 PEPPOL:NOT_SERVICED. Absent: any. */
  serves?: string[]
}

export type Phase4Exchange = {
  seq: number
  dir: string
  /** HTTP status of the response. */
  status?: number
  /** The user message's MessageId, when phase4 got as far as the user message. */
  messageId?: string | null
  /** The receiver's verdict (null: phase4 refused the message before its Peppol checks, e.g. a bad signature). */
  accepted?: boolean | null
  refusal?: string | null
  exception?: string
}

export type Phase4ExchangeFiles = {
  request: { method: string; uri: string; headers: Record<string, string[]>; body: Buffer }
  response: { status: number; headers: Record<string, string[]>; body: Buffer }
  /** The decrypted, decompressed SBDH, when the message got that far. */
  payload: Buffer | null
  /** The ebMS values and the receiver's checks (ebms.json), when the message got that far. */
  ebms: Record<string, unknown> | null
}

export type Phase4Receiver = {
  /** http://127.0.0.1:<port>/as4 */
  url: string
  dir: string
  log: string
  /** The requests received so far, in order (DIR/exchanges.jsonl). */
  exchanges(): Phase4Exchange[]
  /** The files of one exchange. */
  read(exchange: Phase4Exchange): Phase4ExchangeFiles
  stop(): Promise<void>
}

/** Starts `Phase4Peer receive` and resolves once it answers on its port; its log goes to DIR/receiver.log. */
export async function startPhase4Receiver(options: Phase4ReceiverOptions): Promise<Phase4Receiver> {
  const { classpath } = await ensurePhase4()
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'facteur-phase4-rx-'))
  mkdirSync(dir, { recursive: true })
  const out = join(dir, 'exchanges')
  const log = join(dir, 'receiver.log')
  const logStream = createWriteStream(log, { flags: 'a' })
  const child = spawn('java', [...JVM_OPTIONS, '-cp', classpath, 'Phase4Peer', 'receive', ...identityArgs(options),
    '--seat', options.seat, '--port', String(options.port ?? 0), '--out', out, ...(options.serves ? ['--serves', options.serves.join(',')] : [])],
  { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stderr!.pipe(logStream, { end: false })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const failure = (what: string) => new Error(`phase4 receiver ${what}; last lines of ${log}:\n${tail(readLog(log), 30)}`)

  const url = await new Promise<string>((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(failure(`did not start within ${(options.startTimeoutMs ?? 120_000) / 1000} s`)) }, options.startTimeoutMs ?? 120_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      logStream.write(chunk)
      buffer += chunk.toString('utf8')
      const line = buffer.split('\n').find((l) => l.includes('"listening"'))
      if (line) { clearTimeout(timer); resolve((JSON.parse(line) as { listening: string }).listening) }
    })
    void exited.then((code) => { clearTimeout(timer); reject(failure(`exited with code ${code} before listening`)) })
    child.once('error', (error) => { clearTimeout(timer); reject(failure(`could not be started (${error.message})`)) })
  })
  await portAnswers(new URL(url))

  let stopped: Promise<void> | undefined
  return {
    url,
    dir,
    log,
    exchanges: () => {
      const file = join(out, 'exchanges.jsonl')
      return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Phase4Exchange) : []
    },
    read: readExchange,
    stop: () => (stopped ??= stopProcess(child, exited).finally(() => logStream.end())),
  }
}

function readExchange(exchange: Phase4Exchange): Phase4ExchangeFiles {
  const file = (name: string) => join(exchange.dir, name)
  const json = <T>(name: string) => JSON.parse(readFileSync(file(name), 'utf8')) as T
  const request = json<{ method: string; uri: string; headers: Record<string, string[]> }>('request.json')
  const response = json<{ status: number; headers: Record<string, string[]> }>('response.json')
  return {
    request: { ...request, body: readFileSync(file('request.body')) },
    response: { ...response, body: readFileSync(file('response.body')) },
    payload: existsSync(file('payload.xml')) ? readFileSync(file('payload.xml')) : null,
    ebms: existsSync(file('ebms.json')) ? json<Record<string, unknown>>('ebms.json') : null,
  }
}

async function portAnswers(url: URL): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => { socket.end(); resolve() })
    socket.once('error', reject)
  })
}

async function stopProcess(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

// ---------------------------------------------------------------------------------------------------------------
// Sender

export type Phase4SendOptions = Phase4Identity & ({
  url: string
  /** The receiving access point's certificate (PEM), as an SMP would give it. */
  receiverCert: string
  smp?: undefined
} | {
  /** phase4 looks the receiver up in this SMP (its base URL) and checks the answer's signature against `trust` (PEM). */
  smp: { url: string; trust: string }
}) & {
  /** The SBDH to send, as is (phase4 reads the identifiers from it). */
  sbdh: string | Buffer
  senderSeat: string
  /** Reuse a MessageId (duplicate tests); phase4 makes one otherwise. */
  messageId?: string
  /** Where the sender writes what it sent and received (a fresh temporary folder by default). */
  dir?: string
}

/** The JSON line Phase4Peer send prints. */
export type Phase4Outcome = {
  success: boolean
  error: string | null
  /** phase4's EAS4UserMessageSendResult id: success, as4-error-msg-received, transport-error, … */
  result: string
  /** MessageId of the user message sent. */
  messageId: string | null
  /** Where it was sent: the given URL, or the endpoint the SMP gave (null when the lookup failed). */
  endpointUrl: string | null
  /** The signal message that came back (a receipt or an error). */
  receipt: { messageId: string; refToMessageId: string; timestamp: string; isReceipt: boolean } | null
  errors: { errorCode: string; severity: string; shortDescription: string; description: string | null; errorDetail: string | null; refToMessageInError: string | null }[]
  signalSignedBy: string | null
  /** The signal's signer checked against the trusted CA: valid, unsupported-issuer, expired, … */
  signalSignerCheck: string | null
  /** phase4's comparison of the receipt's NonRepudiationInformation with what it signed: valid, invalid: …, not-applicable. */
  nonRepudiation: string
}

export type Phase4Sent = {
  ok: boolean
  outcome: Phase4Outcome
  /** request.json / request.body (what phase4 sent), response.json / response.body, outcome.json, sender.log. */
  dir: string
  log: string
}

/** Runs `Phase4Peer send` once (a JVM per message: about 5 s of CPU). */
export async function phase4Send(options: Phase4SendOptions): Promise<Phase4Sent> {
  const { classpath } = await ensurePhase4()
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'facteur-phase4-tx-'))
  mkdirSync(dir, { recursive: true })
  const sbdh = join(dir, 'sbdh.xml')
  writeFileSync(sbdh, options.sbdh)
  const log = join(dir, 'sender.log')
  const receiver = options.smp ? ['--smp-url', options.smp.url, '--smp-trust', options.smp.trust] : ['--url', options.url, '--receiver-cert', options.receiverCert]
  const args = [...JVM_OPTIONS, '-cp', classpath, 'Phase4Peer', 'send', ...identityArgs(options), ...receiver, '--sbdh', sbdh, '--sender-seat', options.senderSeat, '--out', dir,
    ...(options.messageId ? ['--message-id', options.messageId] : [])]
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    execFile('java', args, { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : null) : 0
      if (error && code === null) reject(new Error(`phase4 sender could not run: ${error.message}\n${tail(stderr, 30)}`))
      else resolve({ code, stdout, stderr })
    })
  })
  writeFileSync(log, stderr)
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'))
  if (!line || (code !== 0 && code !== 1)) throw new Error(`phase4 sender exited with code ${code} without an outcome; last lines of ${log}:\n${tail(stderr, 30)}`)
  const outcome = JSON.parse(line) as Phase4Outcome
  return { ok: code === 0 && outcome.success, outcome, dir, log }
}

// ---------------------------------------------------------------------------------------------------------------

function readLog(file: string): string {
  try { return readFileSync(file, 'utf8') } catch { return '' }
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}
