import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ROUTES } from '../src/routes.js'
import { errors } from '../src/errors.js'
import { resolveOptions } from '../src/options.js'
import { errorsTable, routesTable } from '../scripts/readme-tables.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('README', () => {
  it('shows the two commands', () => {
    expect(readme).toContain('npm install && npm start')
    expect(readme).toContain('npm test')
  })

  it('has the routes table generated from the route table (npm run docs)', () => {
    expect(readme).toContain(routesTable(ROUTES))
  })

  it('lists every error code (npm run docs)', () => {
    expect(readme).toContain(errorsTable(errors))
  })

  it('documents every option', () => {
    for (const name of Object.keys(resolveOptions())) expect(readme).toContain(`| \`${name}\` |`)
  })
})
