import { randomBytes } from 'node:crypto'
import { Session } from 'node:inspector'
import { getHeapStatistics } from 'node:v8'
import { postSync } from '../profiler/post-sync.js'

interface RemoteObject { type: string, subtype?: string, objectId?: string, description?: string, value?: unknown }
interface PropertyDescriptor { name: string, value?: RemoteObject }
interface InternalProperty { name: string, value?: RemoteObject }
interface PrivateProperty { name: string, value?: RemoteObject }
export interface Properties { result: PropertyDescriptor[], internalProperties?: InternalProperty[], privateProperties?: PrivateProperty[] }

// V8 finds the scripts by walking the heap: 70 ms at 40 MiB, 120 ms at 500 MiB, 630 ms at 2 GiB here. Past
// this, code loaded after onReady keeps an unknown file (its scopes are walked all the same).
const RELEARN_MAX_HEAP = 256 * 1024 * 1024
// Censuses between two script-list requests at most: code loaded late is named a few censuses late.
const RELEARN_CENSUSES = 12
// Everything the census asks for lives in this object group, released after each batch.
const GROUP = 'fastify-pprof-census'

/**
 * The census's way into what JavaScript cannot see (closure scopes, private
 * fields, bound functions): an in-process inspector session, no port. Objects
 * cross between the walk and the session by a handoff: a property of
 * globalThis under a random name, set and deleted around one synchronous
 * protocol call, so nothing stays behind. Only the Runtime domain is used,
 * never enabled (an enabled Runtime domain gets every console call), plus a
 * moment of the Debugger domain to learn script URLs.
 */
export class InspectorBridge {
  readonly #session: Session
  readonly #key = `__fastifyPprofCensus_${randomBytes(8).toString('hex')}`
  /** scriptId -> URL, learnt when an unknown id shows up; bounded by the scripts the process loaded. */
  readonly #scripts = new Map<string, string>()
  /** The newest script id the Debugger domain reported: ids grow, so only a newer one is worth asking again. */
  #newestScript = -1
  #mayLearn = false
  #censusesSinceLearnt = 0
  #closed = false

  constructor () {
    this.#session = new Session()
    this.#session.connect()
  }

  post<T> (method: string, params: object = {}): T {
    return postSync<T>(this.#session, method, params)
  }

  /** Remote handles for `objects`, in order (undefined where the inspector gave none). */
  handlesOf (objects: readonly object[]): Array<RemoteObject | undefined> {
    const g = globalThis as Record<string, unknown>
    g[this.#key] = objects
    let list: RemoteObject
    try {
      list = this.post<{ result: RemoteObject }>('Runtime.evaluate', { expression: `globalThis.${this.#key}`, objectGroup: GROUP, silent: true }).result
    } finally {
      delete g[this.#key]
    }
    const out: Array<RemoteObject | undefined> = new Array(objects.length)
    if (list.objectId === undefined) return out
    const props = this.post<Properties>('Runtime.getProperties', { objectId: list.objectId, ownProperties: true, generatePreview: false })
    for (const p of props.result) {
      const index = Number(p.name)
      if (Number.isInteger(index) && index >= 0 && index < objects.length) out[index] = p.value
    }
    return out
  }

  properties (objectId: string): Properties {
    return this.post<Properties>('Runtime.getProperties', { objectId, ownProperties: true, generatePreview: false })
  }

  /** The objects behind remote handles, in order, through one call. */
  objectsOf (objectIds: readonly string[]): unknown[] {
    if (objectIds.length === 0) return []
    let received: unknown[] = []
    const g = globalThis as Record<string, unknown>
    g[this.#key] = (...values: unknown[]) => { received = values }
    try {
      this.post('Runtime.callFunctionOn', {
        objectId: objectIds[0],
        functionDeclaration: `function () { globalThis.${this.#key}(...arguments) }`,
        arguments: objectIds.map((objectId) => ({ objectId })),
        objectGroup: GROUP,
        silent: true
      })
    } finally {
      delete g[this.#key]
    }
    return received
  }

  /** Lets go of every handle handed out since the last release: a handle keeps its object alive. */
  release (): void {
    this.post('Runtime.releaseObjectGroup', { objectGroup: GROUP })
  }

  /**
   * Learns every script's URL now: at the app's onReady, when the code is
   * loaded and no request is served yet, so the census's one long step (the
   * Debugger domain reports every script at once) costs the app nothing.
   */
  learnScriptsNow (): void {
    this.#censusesSinceLearnt = 1
    this.#learnScripts()
  }

  /**
   * Lets the next unknown script id ask the Debugger domain again: at the
   * first census, then at most once every RELEARN_CENSUSES censuses (the list
   * of every script is the census's one long step).
   */
  allowScriptLookup (): void {
    if (this.#censusesSinceLearnt++ % RELEARN_CENSUSES === 0) this.#mayLearn = true
  }

  /**
   * A script's URL by its id. The Debugger domain is enabled for a moment
   * when an id is newer than any known: it reports every script at once, the
   * census's one long step (tens of ms), so at most once per census and
   * in practice once, at the first (servers load their code at start).
   */
  scriptUrl (scriptId: string): string | undefined {
    if (this.#mayLearn && !this.#scripts.has(scriptId) && Number(scriptId) > this.#newestScript && getHeapStatistics().used_heap_size < RELEARN_MAX_HEAP) {
      this.#mayLearn = false
      this.#censusesSinceLearnt = 1
      this.#learnScripts()
    }
    return this.#scripts.get(scriptId)
  }

  #learnScripts (): void {
    const onScript = (message: { params: { scriptId: string, url: string } }): void => {
      this.#newestScript = Math.max(this.#newestScript, Number(message.params.scriptId))
      if (message.params.url !== '') this.#scripts.set(message.params.scriptId, message.params.url)
    }
    this.#session.on('Debugger.scriptParsed', onScript)
    try {
      this.post('Debugger.enable')
      this.post('Debugger.disable')
    } finally {
      this.#session.off('Debugger.scriptParsed', onScript)
    }
  }

  close (): void {
    if (this.#closed) return
    this.#closed = true
    // A session left connected makes Node wait for the debugger at exit.
    this.#session.disconnect()
  }
}
