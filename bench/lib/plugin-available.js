// Whether the built plugin (package self-reference `fastify-pprof` → dist/index.js) exists.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export function pluginAvailable () {
  try {
    return existsSync(fileURLToPath(import.meta.resolve('fastify-pprof')))
  } catch {
    return false
  }
}
