import type { HTTPMethods, RouteHandlerMethod } from 'fastify'
import type { PprofContext } from '../context.js'
import type { ResolvedOptions } from '../options.js'

/** Makes a route's handler for one registration; `routes` is the whole table, for the pages that list it. */
export type MakeHandler = (ctx: PprofContext, routes: readonly RouteSpec[]) => RouteHandlerMethod

/** One entry of the route table (src/routes.ts): everything that differs between routes. */
export interface RouteSpec {
  /** Relative to the prefix. */
  readonly path: string
  /** For the README, the page and Go's index. */
  readonly description: string
  readonly serve: MakeHandler
  /** GET (and HEAD) unless listed. */
  readonly methods?: readonly HTTPMethods[]
  /** Listed on Go's /pprof/ index: Go's name, Go's description, the count the index shows. */
  readonly go?: { readonly name: string, readonly description: string, count (): number }
  /** A profile or snapshot: one audit line per request. */
  readonly audit?: true
  /** Mounted only when this option is not false. */
  readonly optIn?: keyof { [K in keyof ResolvedOptions as false extends ResolvedOptions[K] ? K : never]: true }
  /** Left out of the routes tables (redirects, refusals, the page's files). */
  readonly unlisted?: true
}
