// The demo partner's and the admin's API keys for `npm start`: from FACTEUR_DEMO_API_KEY and
// FACTEUR_ADMIN_API_KEY when set, else generated once and kept in `<run dir>/keys.json` (mode 0600) so a
// restart keeps the keys a user already copied.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

const generate = () => `fct_${randomBytes(24).toString('base64url')}`

export async function resolveKeys(runDir: string, fromEnv: { demo: string | null; admin: string | null }): Promise<{ demo: string; admin: string; generated: boolean }> {
  const file = join(runDir, 'keys.json')
  const kept = await readFile(file, 'utf8').then((t) => JSON.parse(t) as { demo?: string; admin?: string }).catch(() => ({} as { demo?: string; admin?: string }))
  const demo = fromEnv.demo ?? kept.demo ?? generate()
  const admin = fromEnv.admin ?? kept.admin ?? generate()
  const generated = demo !== kept.demo || admin !== kept.admin
  if (!fromEnv.demo || !fromEnv.admin) {
    await mkdir(runDir, { recursive: true })
    await writeFile(file, JSON.stringify({ demo: fromEnv.demo ? kept.demo : demo, admin: fromEnv.admin ? kept.admin : admin }, null, 2), { mode: 0o600 })
  }
  return { demo, admin, generated }
}
