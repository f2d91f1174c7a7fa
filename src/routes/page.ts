import type { FastifyInstance } from 'fastify'
import type { PprofContext } from '../context.js'
import { ENDPOINTS } from '../endpoints.js'
import { escapeHtml } from '../html.js'
import { loadPageAssets } from '../page-assets.js'
import { passedOverText } from '../profiler/engines/advice.js'
import { sendHtml } from './index-pages.js'

/**
 * The routes table, from the one table of endpoints: links work without
 * scripts, and the Go aliases and downloads are listed with the rest.
 */
function routesRows (prefix: string): string {
  return ENDPOINTS.map((e) => {
    const href = escapeHtml(prefix + e.path)
    const go = e.goName === undefined ? '' : ` <span class="tag">Go: ${escapeHtml(e.goName)}</span>`
    return `<tr><td><a href="${href}">${href}</a>${go}</td><td>${escapeHtml(e.description)}</td></tr>`
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

/**
 * The page at {prefix} and {prefix}/ and its files at {prefix}/ui/<name>:
 * one route per file, no wildcard, behind the scope's auth like every route.
 */
export function registerPage (scope: FastifyInstance, ctx: PprofContext): void {
  const { prefix } = ctx.options
  const assets = loadPageAssets()
  const config = {
    prefix,
    statsIntervalMs: ctx.options.statsIntervalMs,
    historySeconds: ctx.options.historySeconds,
    defaultProfileSeconds: ctx.options.defaultProfileSeconds,
    maxProfileSeconds: ctx.options.maxProfileSeconds
  }
  // Filled once: the page differs between registrations only by prefix and options.
  const html = assets.template
    .replaceAll('{{prefix}}', () => escapeHtml(prefix))
    .replace('{{routes}}', () => routesRows(prefix))
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

  scope.get('/', async (_request, reply) => sendHtml(reply, html, csp))
  for (const [name, asset] of assets.files) {
    scope.get(`/ui/${name}`, async (_request, reply) => reply.header('content-type', asset.contentType).send(asset.body))
  }
}
