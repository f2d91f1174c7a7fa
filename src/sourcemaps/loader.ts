import { AnyMap, encodedMappings, presortedDecodedMap, type TraceMap } from '@jridgewell/trace-mapping'
import { isAbsolute, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Slicer } from '../cooperative.js'
import { Lru } from '../lru.js'
import { decodeDataUrl, findMapComment, mapPathOf, readText } from './find.js'
import { decodeLines, indexLines, type LineIndex } from './lines.js'

/** Limits of one store; the defaults suit an app of a few hundred compiled files or a big bundle. */
export interface StoreLimits {
  /** Source maps kept, least recently used out first. */
  readonly maxMaps: number
  /** Characters of mappings, names and sources kept in all (a bigger map is used once, then dropped). */
  readonly maxBytes: number
  /** Files remembered as having no usable map. */
  readonly maxMisses: number
  /** Largest generated file or map read, in bytes: bigger ones stay unmapped. */
  readonly maxFileBytes: number
}

export const DEFAULT_LIMITS: StoreLimits = Object.freeze({
  maxMaps: 4096,
  maxBytes: 16 * 1024 * 1024,
  maxMisses: 4096,
  maxFileBytes: 64 * 1024 * 1024
})

/**
 * A source map as kept between profiles: its mappings still encoded, with
 * checkpoints to decode any line from (see lines.ts), sources resolved to
 * paths, sourcesContent dropped. Fully decoded, trace-mapping holds about 100
 * bytes per mapping, some 25 times the text: only the lines a profile needs are
 * decoded, for that profile.
 */
export interface PreparedMap {
  readonly mappings: string
  readonly index: LineIndex
  readonly names: readonly string[]
  readonly sources: readonly string[]
  /** Characters held, for the store's bound. */
  readonly size: number
}

/**
 * A TraceMap holding the given generated lines (0-based) of a map, for one
 * profile; null if trace-mapping refuses it. Yields through the slicer, and
 * throws only when the slicer's profile is abandoned.
 */
export async function decodeMap (prepared: PreparedMap, lines: Iterable<number>, slicer?: Slicer): Promise<TraceMap | null> {
  const mappings = await decodeLines(prepared.mappings, prepared.index, lines, slicer)
  try {
    const map = presortedDecodedMap({ version: 3, names: prepared.names as string[], sources: prepared.sources as string[], mappings })
    map.resolvedSources = prepared.sources as string[]
    return map
  } catch {
    return null
  }
}

// Most files end with their comment: read this much of the tail first.
const TAIL_BYTES = 64 * 1024
const NODE_MODULES = `${sep}node_modules${sep}`

// Base64 VLQ and separators only: the decoder reads anything else as garbage, silently.
const MAPPINGS = /^[A-Za-z0-9+/,;]*$/

function isMapShaped (raw: unknown): boolean {
  if (raw === null || typeof raw !== 'object') return false
  const map = raw as { mappings?: unknown, sources?: unknown, sections?: unknown }
  if (Array.isArray(map.sections)) return map.sections.every((s: { map?: unknown } | null) => isMapShaped(s?.map))
  return typeof map.mappings === 'string' && MAPPINGS.test(map.mappings) && Array.isArray(map.sources)
}

/**
 * The source map of one generated file: its last `sourceMappingURL` comment
 * (an inline `data:` URL, or a path relative to the file, absolute, or a
 * file URL), else `<file>.map`. Sources resolve against the map's own
 * location and its sourceRoot. Null for anything missing or unusable.
 */
export async function loadSourceMap (file: string, maxBytes = DEFAULT_LIMITS.maxFileBytes): Promise<PreparedMap | null> {
  try {
    let read = await readText(file, maxBytes, TAIL_BYTES)
    if (read === undefined) return null
    let url = findMapComment(read.text)
    // An inline map bigger than the tail starts before it: read it all.
    if (url === undefined && !read.whole) {
      read = await readText(file, maxBytes)
      if (read === undefined) return null
      url = findMapComment(read.text)
    }
    let json: string | undefined
    let mapUrl: string
    if (url?.startsWith('data:') === true) {
      json = decodeDataUrl(url)
      mapUrl = pathToFileURL(file).href
    } else {
      const mapPath = url === undefined ? `${file}.map` : mapPathOf(url, file)
      if (mapPath === undefined) return null
      json = (await readText(mapPath, maxBytes))?.text
      mapUrl = pathToFileURL(mapPath).href
    }
    if (json === undefined) return null
    const raw: unknown = JSON.parse(json)
    if (!isMapShaped(raw)) return null
    // Resolves sources against the map's location and sourceRoot; flattens sectioned maps.
    const map = AnyMap(raw as Parameters<typeof AnyMap>[0], mapUrl)
    // file:// sources become paths, so that go tool pprof -list opens them.
    const sources = map.resolvedSources.map((s) => {
      if (typeof s !== 'string' || !s.startsWith('file:')) return s
      try {
        return fileURLToPath(s)
      } catch {
        return s
      }
    })
    const names = map.names.map((n) => typeof n === 'string' ? n : '')
    const mappings = encodedMappings(map)
    const index = indexLines(mappings)
    let size = mappings.length + index.checkpoints.byteLength
    for (const text of sources) size += typeof text === 'string' ? text.length : 0
    for (const text of names) size += text.length
    return { mappings, index, names, sources, size }
  } catch {
    return null
  }
}

/**
 * Source maps of generated files, loaded on first use and kept in a bounded
 * LRU; files without a usable map are remembered (bounded too) so they are
 * not read again. One store per plugin instance.
 */
export class SourceMapStore {
  readonly #limits: StoreLimits
  readonly #dirs: readonly string[] | undefined
  readonly #maps: Lru<string, PreparedMap>
  readonly #misses: Lru<string, true>
  readonly #loading = new Map<string, Promise<PreparedMap | null>>()
  #generation = 0

  constructor (searchDirs: readonly string[] | undefined, limits: Partial<StoreLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits }
    this.#dirs = searchDirs?.map((d) => {
      const dir = resolve(d)
      return dir.endsWith(sep) ? dir : dir + sep
    })
    this.#maps = new Lru(this.#limits.maxMaps, this.#limits.maxBytes)
    this.#misses = new Lru(this.#limits.maxMisses)
  }

  /**
   * Whether a frame's file may have a map: an absolute path (not node:,
   * not eval code), under a search dir if any were given, and outside
   * node_modules unless a search dir is itself inside node_modules.
   */
  eligible (file: string): boolean {
    if (file === '' || !isAbsolute(file)) return false
    if (this.#dirs === undefined) return !file.includes(NODE_MODULES)
    return this.#dirs.some((dir) => file.startsWith(dir) && (!file.includes(NODE_MODULES, dir.length - 1)))
  }

  /** The map if known: a map, null for a known miss, undefined when not loaded yet. */
  peek (file: string): PreparedMap | null | undefined {
    const map = this.#maps.get(file)
    if (map !== undefined) return map
    return this.#misses.get(file) === true ? null : undefined
  }

  /** Loads (once, even for concurrent callers) and caches the map of a file. */
  async load (file: string): Promise<PreparedMap | null> {
    const known = this.peek(file)
    if (known !== undefined) return known
    let pending = this.#loading.get(file)
    if (pending === undefined) {
      const generation = this.#generation
      pending = loadSourceMap(file, this.#limits.maxFileBytes).then((map) => {
        this.#loading.delete(file)
        if (generation === this.#generation) {
          if (map === null) this.#misses.set(file, true)
          else this.#maps.set(file, map, map.size)
        }
        return map
      })
      this.#loading.set(file, pending)
    }
    return await pending
  }

  /** A map that failed while in use (bad mappings): never try it again. */
  reject (file: string): void {
    this.#maps.delete(file)
    this.#misses.set(file, true)
  }

  clear (): void {
    this.#generation++
    this.#maps.clear()
    this.#misses.clear()
    this.#loading.clear()
  }

  get size (): { maps: number, bytes: number, misses: number } {
    return { maps: this.#maps.count, bytes: this.#maps.size, misses: this.#misses.count }
  }
}
