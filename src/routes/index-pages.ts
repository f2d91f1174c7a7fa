import type { FastifyInstance, FastifyReply } from 'fastify'
import type { PprofContext } from '../context.js'
import { GO_PROFILE_DESCRIPTIONS } from '../endpoints.js'
import { escapeHtml } from '../html.js'
import { NAMED_PROFILES } from './named.js'

const GO_STYLE = '.profile-name{\n\tdisplay:inline-block;\n\twidth:6rem;\n}\n'

/** Go's /debug/pprof/ page, same markup, with relative links. */
export function goIndexHtml (prefix: string): string {
  const counts = new Map<string, number>(NAMED_PROFILES.map((p) => [p.name, p.count()]))
  counts.set('profile', 0)
  const names = [...counts.keys()].sort()
  const rows = names.map((n) => `<tr><td>${counts.get(n) ?? 0}</td><td><a href='${escapeHtml(n)}?debug=1'>${escapeHtml(n)}</a></td></tr>\n`).join('')
  const items = names.map((n) => `<li><div class=profile-name>${escapeHtml(n)}: </div> ${escapeHtml(GO_PROFILE_DESCRIPTIONS[n] ?? '')}</li>\n`).join('')
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

// Go's index: inline styles only (it has a <style> block); no scripts, no frames.
const GO_INDEX_CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Every page of the plugin: its own strict CSP, never framed, no referrer. */
export function sendHtml (reply: FastifyReply, html: string, csp = GO_INDEX_CSP): FastifyReply {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', csp)
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .send(html)
}

export function registerIndexPages (scope: FastifyInstance, ctx: PprofContext): void {
  const { prefix } = ctx.options
  // Go's index links are relative: they only resolve under the trailing slash.
  scope.get('/pprof', async (_request, reply) => reply.redirect(`${prefix}/pprof/`, 301))
  scope.get('/pprof/', async (_request, reply) => sendHtml(reply, goIndexHtml(prefix)))
}
