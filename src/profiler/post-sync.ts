import type { Session } from 'node:inspector'

/**
 * Posts to an in-process inspector session and returns its answer. A
 * same-thread session answers synchronously, so the callback has run when
 * post() returns; an error becomes a throw.
 */
export function postSync<T = unknown> (session: Session, method: string, params: object = {}): T {
  let result: T | undefined
  let failure: Error | null = null
  session.post(method, params, (err, res) => {
    failure = err
    result = res as T
  })
  if (failure !== null) throw failure
  return result as T
}
