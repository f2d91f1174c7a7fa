// Requests to the plugin's own routes, and errors in words.

// This module is served at {prefix}/ui/api.js: the routes are one level up.
// Derived from the module's URL, not the page's, so /debug and /debug/ agree.
export const base = new URL('../', import.meta.url)

/** The absolute URL of a route, e.g. routeUrl('heap', { gc: 1 }). */
export function routeUrl (path, params = {}) {
  const url = new URL(path, base)
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v))
  return url
}

export class HttpError extends Error {
  constructor (status, body, retryAfter) {
    super(`${status}: ${body}`)
    this.status = status
    this.body = body
    this.retryAfter = retryAfter
  }
}

async function get (path, params, signal) {
  const res = await fetch(routeUrl(path, params), { signal, cache: 'no-store', credentials: 'same-origin' })
  if (!res.ok) {
    const body = (await res.text().catch(() => '')).trim()
    throw new HttpError(res.status, body, res.headers.get('retry-after'))
  }
  return res
}

export async function getJson (path, params = {}, signal) {
  return await (await get(path, params, signal)).json()
}

export async function getBytes (path, params = {}, signal) {
  return new Uint8Array(await (await get(path, params, signal)).arrayBuffer())
}

/** What went wrong, in words a person can act on. */
export function describeError (err) {
  if (err?.name === 'AbortError') return 'Cancelled: the request was aborted, which stops a running profile on the server.'
  if (err instanceof HttpError) {
    const said = err.body === '' ? '' : ` The server said: “${err.body}”.`
    switch (err.status) {
      case 400: return `The server refused the request (400 Bad Request).${said}`
      case 401: return 'Not authorized (401): the server did not accept the credentials. Reload the page to log in again.'
      case 403: return `Forbidden (403).${said}`
      case 409: return `Busy (409): another profile is running in this process; only one runs at a time.${said}` +
        (err.retryAfter ? ` Try again in about ${err.retryAfter} s.` : '')
      case 429: return `Too many failed logins from this address (429).${err.retryAfter ? ` Try again in ${err.retryAfter} s.` : ''}`
      case 503: return `Unavailable (503).${said}`
      default: return `The server answered ${err.status}.${said}`
    }
  }
  if (err instanceof TypeError) return `The server could not be reached (${err.message}).`
  return `Something went wrong: ${err?.message ?? String(err)}`
}
