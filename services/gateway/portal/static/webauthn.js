// Security keys and passkeys in the portal (served by the hub; the Content-Security-Policy allows nothing else):
// adding one on the security page, using one at the second-factor step. Each is two requests: the options from the
// hub, navigator.credentials.create()/get(), the answer back to the hub. WebAuthn's binary fields travel as base64url
// (the JSON shapes of @simplewebauthn/server). Hand-written rather than @simplewebauthn/browser: this conversion is
// all that library would do for us here, and a file in static/ needs no extra route. The sentences come from the
// page (data attributes); the parts stay hidden where the browser has no WebAuthn, and the TOTP form works as before.
'use strict'
document.addEventListener('DOMContentLoaded', () => {
  const supported = typeof window.PublicKeyCredential === 'function' && !!navigator.credentials

  const toBytes = (text) => {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4)
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
  }
  const toText = (buffer) => {
    let s = ''
    for (const byte of new Uint8Array(buffer)) s += String.fromCharCode(byte)
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  }
  const withIds = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }))

  const creationOptions = (o) => ({ ...o, challenge: toBytes(o.challenge), user: { ...o.user, id: toBytes(o.user.id) }, excludeCredentials: withIds(o.excludeCredentials) })
  const requestOptions = (o) => ({ ...o, challenge: toBytes(o.challenge), allowCredentials: withIds(o.allowCredentials) })

  const common = (cred) => ({
    id: cred.id, rawId: toText(cred.rawId), type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
  })
  const registrationJson = (cred) => ({
    ...common(cred),
    response: {
      clientDataJSON: toText(cred.response.clientDataJSON), attestationObject: toText(cred.response.attestationObject),
      transports: typeof cred.response.getTransports === 'function' ? cred.response.getTransports() : [],
    },
  })
  const assertionJson = (cred) => ({
    ...common(cred),
    response: {
      clientDataJSON: toText(cred.response.clientDataJSON), authenticatorData: toText(cred.response.authenticatorData),
      signature: toText(cred.response.signature), userHandle: cred.response.userHandle ? toText(cred.response.userHandle) : undefined,
    },
  })

  async function post(url, csrf, body) {
    const res = await fetch(url, {
      method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf },
    })
    let data = null
    try { data = await res.json() } catch (_) { /* the CSRF refusal is a page, not JSON */ }
    return { ok: res.ok, status: res.status, data }
  }

  /** Runs one ceremony for a part of the page, showing its progress and its outcome in the part's status line. */
  function ceremony(part, button, run) {
    const status = part.querySelector('[data-webauthn-status]')
    const words = part.dataset
    const say = (text) => { status.textContent = text }
    const refused = (answer) => say(answer.data && answer.data.detail ? answer.data.detail
      : answer.status === 403 ? words.reload : words.failed + ' (' + answer.status + ')')
    const browserError = (error) => say(error && error.name === 'NotAllowedError' ? words.cancelled
      : error && error.name === 'InvalidStateError' ? words.registered
        : words.failed + (error && error.name ? ' (' + error.name + ')' : ''))
    return async () => {
      button.disabled = true
      say(words.waiting)
      try {
        await run({ say, refused, browserError, csrf: words.csrf || part.querySelector('input[name=_csrf]').value })
      } catch (error) {
        browserError(error)
      } finally {
        button.disabled = false
      }
    }
  }

  const register = document.querySelector('[data-webauthn="register"]')
  if (register && supported) {
    const button = register.querySelector('button[type=submit]')
    const run = ceremony(register, button, async ({ say, refused, browserError, csrf }) => {
      const options = await post('/portal/account/security-keys/options', csrf, {})
      if (!options.ok) return refused(options)
      let cred
      try { cred = await navigator.credentials.create({ publicKey: creationOptions(options.data) }) } catch (error) { return browserError(error) }
      const name = register.querySelector('input[name=name]').value
      const added = await post('/portal/account/security-keys', csrf, { name, credential: registrationJson(cred) })
      if (!added.ok) return refused(added)
      say(register.dataset.done)
      window.location.assign(added.data.href)
    })
    register.addEventListener('submit', (event) => { event.preventDefault(); run() })
    register.hidden = false
    const unavailable = document.querySelector('[data-webauthn-unavailable]')
    if (unavailable) unavailable.hidden = true
  }

  const signIn = document.querySelector('[data-webauthn="sign-in"]')
  if (signIn && supported) {
    const button = signIn.querySelector('[data-webauthn-start]')
    button.addEventListener('click', ceremony(signIn, button, async ({ refused, browserError, csrf }) => {
      const options = await post('/portal/second-factor/webauthn/options', csrf, {})
      if (!options.ok) return refused(options)
      let cred
      try { cred = await navigator.credentials.get({ publicKey: requestOptions(options.data) }) } catch (error) { return browserError(error) }
      const done = await post('/portal/second-factor/webauthn', csrf, { credential: assertionJson(cred) })
      if (!done.ok) return refused(done)
      window.location.assign(done.data.next)
    }))
    signIn.hidden = false
  }
})
