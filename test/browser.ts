// Chromium for the web-portal tests: Debian's package driven by playwright-core, axe-core for WCAG checks and
// full-page screenshots under .facteur/screenshots/.
//
// The browser is the system's Chromium (/usr/bin/chromium, or FACTEUR_CHROMIUM), never a download of Playwright's
// own builds: ensureChromium() installs Debian's package with apt-get when it is missing and we may (root), and
// otherwise says what to run. The portal sends a strict Content-Security-Policy (no 'unsafe-inline', no
// 'unsafe-eval'), so axe is not added as a <script> tag: its source is evaluated through the DevTools protocol
// (Playwright's evaluate), which the page's CSP does not govern — the policy stays on for the page's own code.
import { spawn } from 'node:child_process'
import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
const DEBIAN_CHROMIUM = '/usr/bin/chromium'
const say = (line: string) => process.stderr.write(`[browser] ${line}\n`)

/** Headless, and no background traffic: without the networking flags the sandbox refuses its connections en masse. */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]

const executable = (file: string) => {
  try { accessSync(file, constants.X_OK); return true } catch { return false }
}
const onPath = (command: string) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, command)))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let ensuring: Promise<string> | undefined

/**
 * The Chromium executable: FACTEUR_CHROMIUM, else Debian's /usr/bin/chromium, installed with apt-get when it is
 * missing and we run as root. Safe to call from every test file: one install per process, and a lock file makes
 * other processes (vitest forks, parallel runs) wait for it instead of racing apt.
 */
export function ensureChromium(log: (msg: string) => void = say): Promise<string> {
  ensuring ??= locate(log).catch((error: unknown) => { ensuring = undefined; throw error })
  return ensuring
}

async function locate(log: (msg: string) => void): Promise<string> {
  const override = process.env.FACTEUR_CHROMIUM
  if (override) {
    if (executable(override)) return override
    throw new Error(`FACTEUR_CHROMIUM=${override} is not an executable file: point it at a Chromium or Chrome binary, or unset it to use Debian's ${DEBIAN_CHROMIUM}`)
  }
  if (executable(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM
  const install = 'apt-get update && apt-get install -y --no-install-recommends chromium'
  if (!onPath('apt-get')) throw new Error(`no Chromium at ${DEBIAN_CHROMIUM} and no apt-get here: install Chromium with the system's package manager and set FACTEUR_CHROMIUM=/path/to/chromium (the tests never download a browser)`)
  if (process.getuid?.() !== 0) throw new Error(`no Chromium at ${DEBIAN_CHROMIUM}: run \`sudo sh -c '${install}'\` (or set FACTEUR_CHROMIUM=/path/to/chromium); the tests never download a browser`)
  await underInstallLock(log, async () => {
    if (!executable(DEBIAN_CHROMIUM)) await aptInstall(log)
  })
  if (!executable(DEBIAN_CHROMIUM)) throw new Error(`apt-get installed chromium but ${DEBIAN_CHROMIUM} is still missing; run \`${install}\` by hand to see why`)
  return DEBIAN_CHROMIUM
}

/** Debian's chromium package; when apt knows no candidate (empty or stale package lists), `apt-get update` first. */
async function aptInstall(log: (msg: string) => void): Promise<void> {
  const started = Date.now()
  log(`no Chromium at ${DEBIAN_CHROMIUM}: installing Debian's package (apt-get install -y --no-install-recommends chromium) …`)
  // apt-get's own lock wait covers apt runs outside the tests (unattended upgrades, a shell).
  const install = ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', 'chromium']
  let result = await apt(install, log)
  if (result.code !== 0 && /no installation candidate|Unable to locate package/i.test(result.output)) {
    log('apt knows no chromium candidate: apt-get update, then again …')
    const update = await apt(['-o', 'DPkg::Lock::Timeout=300', 'update'], log)
    if (update.code !== 0) throw new Error(`apt-get update failed (exit ${update.code}):\n${update.output.slice(-2000)}`)
    result = await apt(install, log)
  }
  if (result.code !== 0) throw new Error(`apt-get install chromium failed (exit ${result.code}):\n${result.output.slice(-2000)}`)
  log(`Chromium installed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

/** Runs apt-get, logging its lines as they come (the first install takes a minute or two); exit code and output. */
function apt(args: string[], log: (msg: string) => void): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    let partial = ''
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const lines = (partial + chunk.toString('utf8')).split('\n')
      partial = lines.pop() ?? ''
      // dpkg redraws its progress with carriage returns: keep the last state of each line.
      for (const line of lines.map((l) => l.split('\r').pop()!.trim())) if (line) log(`apt-get: ${line}`)
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.on('error', fail)
    child.on('close', (code) => {
      const last = partial.split('\r').pop()!.trim()
      if (last) log(`apt-get: ${last}`)
      done({ code: code ?? 1, output })
    })
  })
}

const INSTALL_LOCK = join(tmpdir(), 'facteur-chromium-install.lock')

/**
 * `work` while holding a lock file (created exclusively, holding our pid); other processes wait for it to go. A lock
 * whose process is gone (a killed run) is taken over.
 */
async function underInstallLock(log: (msg: string) => void, work: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 15 * 60_000
  let told = false
  for (;;) {
    try {
      writeFileSync(INSTALL_LOCK, String(process.pid), { flag: 'wx' })
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    if (!lockHolderAlive()) { rmSync(INSTALL_LOCK, { force: true }); continue }
    if (Date.now() > deadline) throw new Error(`gave up waiting for the Chromium install of another process (lock ${INSTALL_LOCK})`)
    if (!told) { log(`another process is installing Chromium (lock ${INSTALL_LOCK}); waiting …`); told = true }
    await sleep(500)
  }
  try { await work() } finally { rmSync(INSTALL_LOCK, { force: true }) }
}

function lockHolderAlive(): boolean {
  let pid: number
  try { pid = Number(readFileSync(INSTALL_LOCK, 'utf8')) } catch { return true } // gone meanwhile: try again
  if (!pid) return true // created, pid not written yet
  try { process.kill(pid, 0); return true } catch (error) { return (error as NodeJS.ErrnoException).code === 'EPERM' }
}

/** Headless Chromium (the system's, see ensureChromium). Close it in afterAll. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: await ensureChromium(), headless: true, args: CHROMIUM_FLAGS })
}

/** A page in a fresh context (own cookies and storage), French by default as the portal is. Close with page.context().close(). */
export async function newPage(browser: Browser, options: { lang?: 'fr' | 'en' } = {}): Promise<Page> {
  const context = await browser.newContext({ locale: options.lang === 'en' ? 'en-GB' : 'fr-FR', viewport: VIEWPORTS.desktop })
  return context.newPage()
}

/** What the tests keep of an axe violation. `target` is a CSS selector; frame and shadow levels joined with ' >>> '. */
export type AxeViolation = {
  id: string
  impact: 'serious' | 'critical'
  help: string
  helpUrl: string
  nodes: { target: string; failureSummary: string }[]
}

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

const require = createRequire(import.meta.url)
let axeSource: Promise<string> | undefined
// The completion value of the script would be sent back to Node: end on undefined.
const loadAxe = () => (axeSource ??= readFile(require.resolve('axe-core/axe.min.js'), 'utf8').then((source) => `${source}\n;undefined`))

/**
 * The page's script to run axe, as text rather than a function: a transpiler's helpers (esbuild's __name under
 * tsx) would otherwise end up in the page, where they are undefined.
 */
const RUN_AXE = `(async () => {
  const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} }, resultTypes: ['violations'] })
  const selector = (target) => target.map((level) => Array.isArray(level) ? level.join(' >>> ') : String(level)).join(' >>> ')
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: selector(n.target), failureSummary: n.failureSummary || '' })),
  }))
})()`

/**
 * axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is now; the serious and critical violations.
 *
 * axe is evaluated in each frame through Playwright (CDP Runtime.evaluate / callFunctionOn): that is the
 * debugger speaking, which CSP does not govern, whereas an injected <script> would be refused by script-src 'self'.
 */
export async function checkAccessibility(page: Page, label: string): Promise<AxeViolation[]> {
  const source = await loadAxe()
  for (const frame of page.frames()) {
    try {
      if (await frame.evaluate('typeof window.axe') === 'undefined') await frame.evaluate(source)
    } catch (error) {
      // A child frame may be detached or navigating meanwhile; axe then reports it as not checked. The page itself must work.
      if (frame === page.mainFrame()) throw new Error(`axe could not be loaded into ${label} (${page.url()})`, { cause: error })
    }
  }
  const violations = (await page.evaluate(RUN_AXE)) as { id: string; impact: string | null; help: string; helpUrl: string; nodes: AxeViolation['nodes'] }[]
  return violations.filter((v): v is AxeViolation => v.impact === 'serious' || v.impact === 'critical')
}

/** Throws, listing each rule, its help and the failing selectors, when axe finds serious or critical violations. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const violations = await checkAccessibility(page, label)
  if (violations.length === 0) return
  const lines = violations.map((v) => `- ${v.id} (${v.impact}): ${v.help} <${v.helpUrl}>\n${v.nodes.map((n) => `    ${n.target}`).join('\n')}`)
  throw new Error(`${label}: ${violations.length} accessibility violation(s) (WCAG 2.1 A/AA, serious or critical) on ${page.url()}\n${lines.join('\n')}`)
}

export const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const

/** A full-page PNG at the size's viewport, written to .facteur/screenshots/<name>-<size>.png; its path. */
export async function screenshot(page: Page, name: string, size: 'desktop' | 'phone'): Promise<string> {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`screenshot name ${JSON.stringify(name)}: letters, digits, '.', '_' and '-' only`)
  await page.setViewportSize(VIEWPORTS[size])
  const dir = join(root, '.facteur', 'screenshots')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${name}-${size}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}
