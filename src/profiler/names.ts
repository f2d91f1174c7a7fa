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
