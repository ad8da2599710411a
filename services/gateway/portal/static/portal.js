// The portal's only script (served by the hub; the Content-Security-Policy allows nothing else): sending the files
// chosen on the deposit page one by one, each with its progress and the hub's answer. Pages work without it
// otherwise.
'use strict'
document.addEventListener('DOMContentLoaded', () => {
  const form = document.querySelector('form[data-upload]')
  if (!form) return
  const list = document.querySelector('[data-uploads]')
  const lang = document.documentElement.lang
  const words = lang === 'fr'
    ? { waiting: 'en attente', sending: 'envoi', accepted: 'déposé', refused: 'refusé', failed: 'échec réseau', open: 'voir le document' }
    : { waiting: 'waiting', sending: 'sending', accepted: 'deposited', refused: 'refused', failed: 'network failure', open: 'open the document' }
  const typeOf = (file) => (file.type === 'application/pdf' || /\.pdf$/i.test(file.name) ? 'application/pdf' : 'application/xml')

  function send(file, item) {
    return new Promise((resolve) => {
      const bar = item.querySelector('progress')
      const state = item.querySelector('.state')
      const xhr = new XMLHttpRequest()
      const structure = form.querySelector('select[name=structure]').value
      xhr.open('POST', '/portal/deposit?structure=' + encodeURIComponent(structure))
      xhr.setRequestHeader('Content-Type', typeOf(file))
      xhr.setRequestHeader('X-CSRF-Token', form.querySelector('input[name=_csrf]').value)
      xhr.setRequestHeader('X-File-Name', encodeURIComponent(file.name))
      // One key per file: a retry of the same send never makes a second document.
      xhr.setRequestHeader('Idempotency-Key', item.dataset.key)
      xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded } })
      state.textContent = words.sending
      xhr.addEventListener('load', () => {
        let body = null
        try { body = JSON.parse(xhr.responseText) } catch (_) { /* not JSON */ }
        if (xhr.status === 202 && body) {
          bar.value = bar.max
          state.textContent = words.accepted + ' · '
          const a = document.createElement('a')
          a.href = body.href
          a.textContent = words.open
          state.appendChild(a)
          item.dataset.outcome = 'accepted'
        } else {
          state.textContent = words.refused + ' (' + xhr.status + ')' + (body && body.detail ? ': ' + body.detail : '')
          item.dataset.outcome = 'refused'
        }
        resolve()
      })
      xhr.addEventListener('error', () => { state.textContent = words.failed; item.dataset.outcome = 'failed'; resolve() })
      xhr.send(file)
    })
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const files = Array.from(form.querySelector('input[type=file]').files)
    const button = form.querySelector('button[type=submit]')
    button.disabled = true
    const items = files.map((file) => {
      const item = document.createElement('li')
      item.dataset.key = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random())
      item.dataset.file = file.name
      const name = document.createElement('span')
      name.textContent = file.name
      const bar = document.createElement('progress')
      bar.max = Math.max(file.size, 1)
      bar.value = 0
      bar.setAttribute('aria-label', file.name)
      const state = document.createElement('span')
      state.className = 'state'
      state.textContent = words.waiting
      item.append(name, bar, state)
      list.appendChild(item)
      return { file, item }
    })
    for (const { file, item } of items) await send(file, item)
    button.disabled = false
    form.reset()
  })
})
