import { escapeHtml, sendHtml } from '../http/html.js'
import type { MakeHandler, RouteSpec } from './handler.js'

const GO_STYLE = '.profile-name{\n\tdisplay:inline-block;\n\twidth:6rem;\n}\n'
// Go's index: inline styles only (it has a <style> block); no scripts, no frames.
const GO_INDEX_CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Go's /debug/pprof/ page, same markup, with relative links: every route with a Go name, sorted. */
export function goIndexHtml (prefix: string, routes: readonly RouteSpec[]): string {
  const entries = routes.flatMap((r) => r.go === undefined ? [] : [r.go]).sort((a, b) => a.name < b.name ? -1 : 1)
  const rows = entries.map((e) => `<tr><td>${e.count()}</td><td><a href='${escapeHtml(e.name)}?debug=1'>${escapeHtml(e.name)}</a></td></tr>\n`).join('')
  const items = entries.map((e) => `<li><div class=profile-name>${escapeHtml(e.name)}: </div> ${escapeHtml(e.description)}</li>\n`).join('')
  const title = escapeHtml(`${prefix}/pprof/`)
  return `<html>
<head>
<title>${title}</title>
<style>
${GO_STYLE}</style>
</head>
<body>
${title}
<br>
<p>Set debug=1 as a query parameter to export in legacy text format</p>
<br>
Types of profiles available:
<table>
<thead><td>Count</td><td>Profile</td></thead>
${rows}</table>
<a href="goroutine?debug=2">full goroutine stack dump</a>
<br>
<p>
Profile Descriptions:
<ul>
${items}</ul>
</p>
</body>
</html>`
}

export const goIndex: MakeHandler = (ctx, routes) => async (_request, reply) => sendHtml(reply, goIndexHtml(ctx.options.prefix, routes), GO_INDEX_CSP)

/** Go's index links are relative: they only resolve under the trailing slash. */
export const goIndexRedirect: MakeHandler = (ctx) => async (_request, reply) => reply.redirect(`${ctx.options.prefix}/pprof/`, 301)
