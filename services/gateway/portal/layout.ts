// The frame of every portal page: language, skip link, the header with the person's menu, one <main>, and the
// hub's own stylesheet and script (no inline script or style: the Content-Security-Policy allows only 'self').
import { html, hidden, type Html } from './html.js'
import { messages, type Lang } from './i18n.js'

export type Viewer = { name: string; operator: boolean; manages: boolean; sends: boolean; receives: boolean; csrf: string } | null
export type Notice = { kind: 'ok' | 'error'; text: string } | null

export type PageInput = {
  lang: Lang; title: string; viewer: Viewer; body: Html | Html[]
  /** Path of this page, for the language switch to come back to. */
  path: string
  current?: string
  notice?: Notice
}

export function page({ lang, title, viewer, body, path, current, notice }: PageInput): string {
  const t = messages[lang]
  const other: Lang = lang === 'fr' ? 'en' : 'fr'
  const link = (href: string, key: keyof typeof t.nav) =>
    html`<li><a href="${href}"${current === key ? html` aria-current="page"` : ''}>${t.nav[key]}</a></li>`
  const nav = viewer
    ? html`<nav aria-label="${t.portal}"><ul>
        ${viewer.sends ? [link('/portal/sent', 'sent'), link('/portal/deposit', 'deposit')] : ''}
        ${viewer.receives ? link('/portal/received', 'received') : ''}
        ${viewer.manages ? link('/portal/structures', 'structures') : ''}
        ${viewer.operator ? link('/portal/admin', 'admin') : ''}
        ${link('/portal/account', 'account')}
      </ul></nav>`
    : ''
  return '<!doctype html>' + html`<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${t.portal}</title>
<link rel="stylesheet" href="/portal/static/portal.css">
<script src="/portal/static/portal.js" defer></script>
</head>
<body>
<a class="skip" href="#main">${t.skipToContent}</a>
<header>
  <div class="bar">
    <a class="brand" href="/portal">${t.portal}</a>
    <div class="tools">
      <a href="/portal/lang/${other}?back=${encodeURIComponent(path)}" lang="${other}" hreflang="${other}">${other === 'fr' ? 'Français' : 'English'}</a>
      ${viewer ? html`<span class="who">${viewer.name}</span>
        <form method="post" action="/portal/sign-out">${hidden({ _csrf: viewer.csrf })}<button type="submit" class="link">${t.signOut}</button></form>` : ''}
    </div>
  </div>
  ${nav}
</header>
<main id="main" tabindex="-1">
<h1 id="main-h">${title}</h1>
${notice ? html`<p class="notice ${notice.kind}" role="${notice.kind === 'error' ? 'alert' : 'status'}">${notice.text}</p>` : ''}
${body}
</main>
</body>
</html>`.html
}
