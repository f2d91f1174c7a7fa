// The packed tarball, installed as a user installs it, on the Node running the
// tests: with a compiler (npm pprof built), without one, and with install
// scripts off (both fall back to @datadog/pprof's prebuilt addon).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appEnv, checkTypesResolution, installConsumer, packTarball, pprofAddonBuilt, startConsumerApp, typecheckConsumer, type PackedTarball } from './support/consumer.js'
import { describeRun, goPprof, parseTop, requireGo } from './support/go-pprof.js'

let packDir: string
let tarball: PackedTarball
const projects: string[] = []

beforeAll(() => {
  packDir = mkdtempSync(join(tmpdir(), 'fastify-pprof-pack-'))
  tarball = packTarball(packDir)
}, 120_000)

afterAll(() => {
  for (const dir of [packDir, ...projects]) rmSync(dir, { recursive: true, force: true })
})

describe('the packed tarball', () => {
  it('holds the built plugin, its types for both module systems and the page, and nothing else', () => {
    console.log(`fastify-pprof tarball: ${tarball.size} bytes packed, ${tarball.unpackedSize} unpacked, ${tarball.files.length} files`)
    expect(tarball.files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/index.cjs', 'dist/index.d.cts', 'public/index.html']))
    const outside = tarball.files.filter((f) => !/^(dist|public)\//.test(f) && !['package.json', 'README.md', 'LICENSE'].includes(f))
    expect(outside).toEqual([])
    expect(tarball.files.filter((f) => /(^|\/)(test|tests|fixtures|__tests__|bench|demo|scripts|\.scratch)\//.test(f))).toEqual([])
    expect(tarball.files.filter((f) => /\.(png|jpe?g|heapsnapshot|cpuprofile|pb\.gz|log|tgz)$/.test(f))).toEqual([])
    // Every file the page serves ships: the plugin reads them at registration.
    for (const asset of ['public/page.css', 'public/main.js']) expect(tarball.files).toContain(asset)
  })

  it('has types that resolve from CommonJS, from ES modules and under bundler rules (arethetypeswrong)', () => {
    const report = checkTypesResolution(tarball.path)
    expect(report.problems).toEqual([])
    expect(report.resolutions).toEqual(expect.arrayContaining(['node16-cjs', 'node16-esm', 'bundler']))
  }, 60_000)
})

async function expectProfilesNameTheApp (url: string): Promise<void> {
  expect((await fetch(`${url}/retain?count=200000`)).status).toBe(200)
  const heap = await goPprof(['-top', '-sample_index=inuse_space', `${url}/debug/heap?gc=1`])
  expect(heap.code, describeRun(heap)).toBe(0)
  expect(parseTop(heap.stdout).rows[0]?.name, describeRun(heap)).toBe('consumerRetainsRequests')
  const cpu = await goPprof(['-top', '-seconds', '2', `${url}/debug/pprof/profile`])
  expect(cpu.code, describeRun(cpu)).toBe(0)
  expect(parseTop(cpu.stdout).rows.slice(0, 5).map((r) => r.name), describeRun(cpu)).toContain('consumerBurnsCpu')
}

async function engineOf (url: string): Promise<string> {
  const stats = await (await fetch(`${url}/debug/stats`)).json() as { node: { heapProfiler: { engine: string } } }
  return stats.node.heapProfiler.engine
}

describe.skipIf(!requireGo())('installed into a fresh project', () => {
  describe('with python3, make and a C++ compiler', () => {
    let dir: string
    beforeAll(() => {
      dir = installConsumer(tarball.path)
      projects.push(dir)
    }, 300_000)

    it('builds npm pprof; a CommonJS app requires and registers the plugin and serves profiles go tool pprof opens, naming its own functions', async () => {
      expect(pprofAddonBuilt(dir)).toBe(true)
      const app = await startConsumerApp(dir)
      try {
        expect(await engineOf(app.url)).toBe('pprof')
        await expectProfilesNameTheApp(app.url)
        expect(app.output()).not.toContain('fast heap engine')
      } finally {
        await app.stop()
      }
    })

    it('import and require() reach the same single copy of the plugin', async () => {
      const { execFileSync } = await import('node:child_process')
      const out = execFileSync(process.execPath, ['exports.mjs'], { cwd: dir, encoding: 'utf8', env: appEnv() })
      expect(JSON.parse(out)).toEqual({ defaultIsFunction: true, namedIsDefault: true, requireIsSameObject: true, errorsShared: true, prefix: '/debug' })
    })

    it.each(['types/esm', 'types/cjs', 'types/bundler'])('type-checks a TypeScript app against the published types (%s)', (project) => {
      const result = typecheckConsumer(dir, project)
      expect(result.output).toBe('')
      expect(result.code).toBe(0)
    })
  })

  describe.each([
    ['without python3, make or a C++ compiler on PATH', { hideCompilers: true }],
    ['with --ignore-scripts', { ignoreScripts: true }]
  ])('%s', (_title, options) => {
    let dir: string
    beforeAll(() => {
      dir = installConsumer(tarball.path, options)
      projects.push(dir)
    }, 300_000)

    it('installs without npm pprof\'s addon, warns once naming the fix, and serves profiles from @datadog/pprof', async () => {
      expect(pprofAddonBuilt(dir)).toBe(false)
      const app = await startConsumerApp(dir)
      try {
        expect(await engineOf(app.url)).toBe('@datadog/pprof')
        await expectProfilesNameTheApp(app.url)
        const warnings = app.output().split('\n').filter((line) => line.includes('fast heap engine'))
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toContain('npm rebuild pprof')
      } finally {
        await app.stop()
      }
    })
  })
})
