// Regenerates the README's routes and error-code tables from the source of
// truth (src/routes.ts, src/errors.ts, via dist/). `npm run docs`;
// test/readme.test.ts fails when the README is stale.
import { readFileSync, writeFileSync } from 'node:fs'
import { ROUTES } from '../dist/routes.js'
import { errors } from '../dist/errors.js'

export function routesTable (routes) {
  const rows = routes.filter((r) => r.unlisted !== true).map((r) => `| \`{prefix}${r.path}\` | ${r.description.replaceAll('|', '\\|')} |`)
  return ['| Route | What it answers |', '| --- | --- |', ...rows].join('\n')
}

export function errorsTable (errorClasses) {
  const rows = Object.entries(errorClasses).map(([code, E]) => {
    // With no arguments the message keeps its %s placeholders.
    const e = new E()
    const status = code === 'FST_PPROF_INVALID_OPTION' ? 'thrown at registration' : e.statusCode
    return `| \`${code}\` | ${status} | ${e.message.replaceAll('%s', '…').replaceAll('|', '\\|')} |`
  })
  return ['| Code | Status | Message |', '| --- | --- | --- |', ...rows].join('\n')
}

export function replaceBlock (text, name, content) {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const i = text.indexOf(start)
  const j = text.indexOf(end)
  if (i === -1 || j === -1) throw new Error(`README has no ${name} markers`)
  return text.slice(0, i + start.length) + '\n' + content + '\n' + text.slice(j)
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const file = new URL('../README.md', import.meta.url)
  let text = readFileSync(file, 'utf8')
  text = replaceBlock(text, 'routes', routesTable(ROUTES))
  text = replaceBlock(text, 'errors', errorsTable(errors))
  writeFileSync(file, text)
}
