// The operator's directory import (admin-directory.ts): sends the chosen NDJSON file as the request's body, with its
// progress (the hub imports the lines as they arrive, so the upload's progress is the import's), then opens the
// import's outcome, which the hub shows from its record. Served by the hub, like portal.js (the CSP allows nothing else).
'use strict'
document.addEventListener('DOMContentLoaded', () => {
  const form = document.querySelector('form[data-import]')
  if (!form) return
  const box = document.querySelector('[data-import-progress]')
  const bar = box.querySelector('progress')
  const state = box.querySelector('[data-import-state]')
  const fr = document.documentElement.lang === 'fr'
  const words = fr
    ? { sending: (p) => 'envoi et import : ' + p + ' %', waiting: 'import des dernières lignes…', failed: 'échec réseau : rien n\'est sûr, réessayez', refused: 'refusé' }
    : { sending: (p) => 'sending and importing: ' + p + '%', waiting: 'importing the last lines…', failed: 'network failure: nothing is certain, try again', refused: 'refused' }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const file = form.querySelector('input[type=file]').files[0]
    if (!file) return
    const button = form.querySelector('button[type=submit]')
    button.disabled = true
    box.hidden = false
    bar.max = Math.max(file.size, 1)
    bar.value = 0
    state.textContent = words.sending(0)
    const xhr = new XMLHttpRequest()
    xhr.open('POST', form.getAttribute('action'))
    xhr.setRequestHeader('Content-Type', 'application/x-ndjson')
    xhr.setRequestHeader('X-CSRF-Token', form.querySelector('input[name=_csrf]').value)
    xhr.setRequestHeader('X-File-Name', encodeURIComponent(file.name))
    let shown = -1
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return
      bar.max = e.total
      bar.value = e.loaded
      const percent = Math.floor((e.loaded / e.total) * 100)
      // Said every tenth, not at each event: the live region would otherwise talk without pause.
      if (Math.floor(percent / 10) !== Math.floor(shown / 10)) { shown = percent; state.textContent = words.sending(percent) }
    })
    xhr.upload.addEventListener('load', () => { bar.value = bar.max; state.textContent = words.waiting })
    xhr.addEventListener('load', () => {
      let body = null
      try { body = JSON.parse(xhr.responseText) } catch (_) { /* not JSON */ }
      if (xhr.status === 200 && body && body.href) {
        box.dataset.outcome = 'imported'
        window.location.assign(body.href)
        return
      }
      box.dataset.outcome = 'refused'
      state.textContent = words.refused + ' (' + xhr.status + ')' + (body && body.detail ? ': ' + body.detail : '')
      button.disabled = false
    })
    xhr.addEventListener('error', () => { box.dataset.outcome = 'failed'; state.textContent = words.failed; button.disabled = false })
    xhr.send(file)
  })
})
