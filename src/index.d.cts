// Types for require('fastify-pprof') (src/index.cjs): the plugin itself, with
// its named exports as properties, in the shape Fastify's own plugins declare.
import type * as Esm from './index.js' with { 'resolution-mode': 'import' }

type FastifyPprofPlugin = typeof Esm.fastifyPprof

declare namespace fastifyPprof {
  export type FastifyPprofOptions = Esm.FastifyPprofOptions
  export type PprofAuth = Esm.PprofAuth
  export type PprofAuthCredentials = Esm.PprofAuthCredentials
  export type PprofAuthValidator = Esm.PprofAuthValidator
  export type AuthRateLimit = Esm.AuthRateLimit
  export type LeakWatchOptions = Esm.LeakWatchOptions
  export type RetainersOptions = Esm.RetainersOptions
  export type RequestsOptions = Esm.RequestsOptions
  export type StallWatchOptions = Esm.StallWatchOptions
  export const errors: typeof Esm.errors
  export const DEFAULTS: typeof Esm.DEFAULTS
  export const fastifyPprof: FastifyPprofPlugin
  export { fastifyPprof as default }
}

declare function fastifyPprof (...params: Parameters<FastifyPprofPlugin>): ReturnType<FastifyPprofPlugin>
export = fastifyPprof
