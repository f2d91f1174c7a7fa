// A strict parser for the Prometheus text exposition format 0.0.4, enough to assert on /metrics output.

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  help: Map<string, string>
  type: Map<string, string>
  samples: Sample[]
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`)
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy

// Prometheus parses values with Go's strconv.ParseFloat: NaN and Inf in any case (prom-client writes "Nan").
function parseValue (text: string, line: string): number {
  const lower = text.toLowerCase()
  if (lower === '+inf' || lower === 'inf') return Infinity
  if (lower === '-inf') return -Infinity
  if (lower === 'nan') return NaN
  const n = Number(text)
  if (text === '' || Number.isNaN(n)) throw new Error(`bad sample value in ${JSON.stringify(line)}`)
  return n
}

function parseLabels (text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {}
  LABEL.lastIndex = 0
  let end = 0
  for (let m = LABEL.exec(text); m !== null; m = LABEL.exec(text)) {
    const [, key = '', raw = ''] = m
    if (key in labels) throw new Error(`duplicate label ${key} in ${JSON.stringify(line)}`)
    labels[key] = raw.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c))
    end = LABEL.lastIndex
  }
  if (end !== text.length) throw new Error(`bad labels in ${JSON.stringify(line)}`)
  return labels
}

/** Throws on any line that is not HELP, TYPE, a sample or blank; every sample must follow its TYPE. */
export function parseExposition (text: string): Exposition {
  const out: Exposition = { help: new Map(), type: new Map(), samples: [] }
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline')
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (meta !== null) {
      const [, kind, name = '', rest = ''] = meta
      const map = kind === 'HELP' ? out.help : out.type
      if (map.has(name)) throw new Error(`second ${kind ?? ''} for ${name}`)
      map.set(name, rest)
      continue
    }
    if (line.startsWith('#')) continue
    const m = SAMPLE.exec(line)
    if (m === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`)
    const [, name = '', labelText, value = ''] = m
    const family = [...out.type.keys()].find((f) => name === f || (out.type.get(f) === 'histogram' && /^_(bucket|sum|count)$/.test(name.slice(f.length)) && name.startsWith(f)))
    if (family === undefined) throw new Error(`sample before its TYPE: ${JSON.stringify(line)}`)
    out.samples.push({ name, labels: labelText === undefined ? {} : parseLabels(labelText, line), value: parseValue(value, line) })
  }
  return out
}

function matches (sample: Sample, name: string, labels: Record<string, string>): boolean {
  return sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v)
}

/** Every sample of `name` whose labels include `labels`. */
export function samplesOf (exp: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exp.samples.filter((s) => matches(s, name, labels))
}

/** The one sample of `name` with `labels`; throws when there is none or more than one. */
export function valueOf (exp: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = samplesOf(exp, name, labels)
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`)
  return (found[0] as Sample).value
}
