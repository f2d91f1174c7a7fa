import type { PprofContext } from '../context.js'
import { errors } from '../errors.js'
import { escapeHtml, sendHtml } from '../http/html.js'
import { loadPageAssets } from '../page-assets.js'
import { passedOverText } from '../profiler/engines/advice.js'
import type { MakeHandler, RouteSpec } from './handler.js'

/** The routes table, from the route table: links work without scripts. */
function routesRows (prefix: string, routes: readonly RouteSpec[]): string {
  return routes.filter((r) => r.unlisted !== true).map((r) => {
    const href = escapeHtml(prefix + r.path)
    const go = r.go === undefined ? '' : ` <span class="tag">Go: ${escapeHtml(r.go.name)}</span>`
    return `<tr><td><a href="${href}">${href}</a>${go}</td><td>${escapeHtml(r.description)}</td></tr>`
  }).join('\n')
}

/** Which engine reads heap profiles, and why a faster one did not load: shown without scripts. */
function engineLine (ctx: PprofContext): string {
  const { engine } = ctx.heapEngine
  const passed = passedOverText(ctx.heapEngine)
  const why = passed.length === 0 ? '' : ` (passed over: ${passed.join('; ')})`
  const cost = engine.name === 'inspector' ? '; every heap profile runs a full GC first' : ''
  return escapeHtml(`Heap engine: ${engine.name}${why}${cost}.`)
}

/** JSON inside a <script type="application/json"> block: never executed, and no "</script>" can end it early. */
function jsonBlock (value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
}

/** The page at {prefix}/, filled once per registration: it differs only by prefix and options. */
export const page: MakeHandler = (ctx, routes) => {
  const { prefix } = ctx.options
  const assets = loadPageAssets()
  const config = {
    prefix,
    statsIntervalMs: ctx.options.statsIntervalMs,
    historySeconds: ctx.options.historySeconds,
    defaultProfileSeconds: ctx.options.defaultProfileSeconds,
    maxProfileSeconds: ctx.options.maxProfileSeconds,
    leakWatchIntervalMs: ctx.options.leakWatch === false ? undefined : ctx.options.leakWatch.intervalMs,
    // Absent when the stall watch is off: the page says so instead of asking /stalls.
    stallThresholdMs: ctx.options.stallWatch === false ? undefined : ctx.options.stallWatch.thresholdMs
  }
  const html = assets.template
    .replaceAll('{{prefix}}', () => escapeHtml(prefix))
    .replace('{{routes}}', () => routesRows(prefix, routes))
    .replace('{{config}}', () => jsonBlock(config))
    .replace('{{heapEngine}}', () => engineLine(ctx))
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "connect-src 'self'",
    ["style-src 'self'", ...assets.styleHashes].join(' '),
    "img-src 'self' data: blob:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; ')
  return async (_request, reply) => sendHtml(reply, html, csp)
}

/**
 * The page's scripts and styles at {prefix}/ui/<file>, from memory by an
 * allowlist: the name is a key, never a path.
 */
export const pageAsset: MakeHandler = () => {
  const { files } = loadPageAssets()
  return async (request, reply) => {
    const asset = files.get((request.params as { file: string }).file)
    if (asset === undefined) throw new errors.FST_PPROF_UNKNOWN_PROFILE()
    return reply.header('content-type', asset.contentType).send(asset.body)
  }
}
