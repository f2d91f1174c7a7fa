import { fileURLToPath } from 'node:url'

/**
 * The file of a frame as pprof wants it: ESM modules report file:// URLs,
 * but `go tool pprof -list` opens paths, so a file URL becomes its path.
 * Anything else (node:internal, a CommonJS path, '') stays as it is.
 */
export function frameFile (scriptName: string): string {
  if (!scriptName.startsWith('file://')) return scriptName
  try {
    return fileURLToPath(scriptName)
  } catch {
    return scriptName
  }
}

/**
 * frameFile() once per script: converting a URL allocates a parsed URL and
 * several strings, and a big heap profile has thousands of frames per script.
 * The cache lives as long as the caller keeps the function (one profile).
 */
export function frameFileCache (): (scriptName: string) => string {
  const files = new Map<string, string>()
  return (scriptName) => {
    let file = files.get(scriptName)
    if (file === undefined) {
      file = frameFile(scriptName)
      files.set(scriptName, file)
    }
    return file
  }
}

/**
 * pprof groups -top rows by function name, and most route handlers are
 * anonymous arrow functions: give each anonymous function its file and line
 * so that two of them stay two rows. No "/" in the name: pprof would take it
 * for a Go package path and shorten it.
 */
export function functionName (name: string | undefined, file: string, functionLine: number): string {
  if (name !== undefined && name !== '') return name
  if (file === '') return '(anonymous)'
  const base = file.slice(file.lastIndexOf('/') + 1)
  return functionLine > 0 ? `(anonymous ${base}:${functionLine})` : `(anonymous ${base})`
}
