import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { build } from './support/app.js'
import { requireTool } from './support/require-tool.js'

// Docker cannot run here: validate what can be validated with the real tools.
const root = new URL('..', import.meta.url).pathname
const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')
const ENV = { ...process.env, PPROF_PASSWORD: 'from-env-pprof', GRAFANA_ADMIN_PASSWORD: 'from-env-grafana' }

describe.skipIf(!requireTool('docker-compose', 'apt-get install docker-compose', ['version']))('docker-compose.yml', () => {
  it('is valid for docker-compose, with two demo replicas, Prometheus, Pyroscope, Alloy and Grafana', () => {
    const result = spawnSync('docker-compose', ['config'], { cwd: root, env: ENV, encoding: 'utf8' })
    expect(result.status, result.stderr).toBe(0)
    for (const service of ['demo-a', 'demo-b', 'prometheus', 'pyroscope', 'alloy', 'grafana']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${service}:$`, 'm'))
    }
    // Credentials flow in from the environment.
    expect(result.stdout).toContain('from-env-pprof')
    expect(result.stdout).toContain('from-env-grafana')
  })

  it('builds both replicas from one Dockerfile: no shared folder, no install when a container starts', () => {
    const result = spawnSync('docker-compose', ['config'], { cwd: root, env: ENV, encoding: 'utf8' })
    expect(result.status, result.stderr).toBe(0)
    const block = (service: string): string => {
      const start = result.stdout.search(new RegExp(`^  ${service}:$`, 'm'))
      expect(start, service).toBeGreaterThanOrEqual(0)
      const rest = result.stdout.slice(start + 1)
      const end = rest.search(/^ {2}\S|^\S/m)
      return end === -1 ? rest : rest.slice(0, end)
    }
    for (const service of ['demo-a', 'demo-b']) {
      const config = block(service)
      expect(config, service).toContain(`context: ${root.replace(/\/$/, '')}\n`)
      expect(config, service).toContain('dockerfile: deploy/demo.Dockerfile\n')
      expect(config, service).toContain('image: fastify-pprof-demo:local\n')
      // The source (and the host's node_modules) is not mounted, and nothing installs at start.
      expect(config, service).not.toMatch(/^ {4}(volumes|command|working_dir):/m)
    }
  })

  it('refuses to start without credentials in the environment', () => {
    const { PPROF_PASSWORD: _p, ...withoutPassword } = ENV
    const result = spawnSync('docker-compose', ['config'], { cwd: root, env: withoutPassword, encoding: 'utf8' })
    expect(result.status).not.toBe(0)
    expect(result.stderr).toContain('PPROF_PASSWORD')
  })
})

describe.skipIf(!requireTool('promtool', 'apt-get install prometheus'))('deploy/prometheus.yml', () => {
  it('passes promtool check config and scrapes /debug/metrics of both replicas with basic auth from a file', () => {
    const result = spawnSync('promtool', ['check', 'config', 'deploy/prometheus.yml'], { cwd: root, encoding: 'utf8' })
    expect(result.status, result.stdout + result.stderr).toBe(0)
    const config = read('deploy/prometheus.yml')
    expect(config).toContain('metrics_path: /debug/metrics')
    expect(config).toContain("targets: ['demo-a:3000', 'demo-b:3000']")
    expect(config).toContain('password_file:')
  })
})

describe('the fleet configuration', () => {
  it('runs the demo on an LTS Node that package.json engines accepts, installed inside the image', () => {
    const dockerfile = read('deploy/demo.Dockerfile')
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node
    const floor = /^>=\s*(\d+)\.(\d+)/.exec(engines)
    expect(floor, engines).not.toBeNull()
    const [floorMajor, floorMinor] = [Number(floor?.[1]), Number(floor?.[2])]
    const from = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1])
    expect(from).toHaveLength(1)
    const tag = /^node:(\d+)(?:\.(\d+))?(?:\.\d+)?-bookworm(?:@sha256:[0-9a-f]{64})?$/.exec(from[0] ?? '')
    expect(tag, from[0]).not.toBeNull()
    const major = Number(tag?.[1])
    // Even lines are the LTS ones; a floating `node:N` tag is the newest N.x.
    expect(major % 2, `node ${major} is not an LTS line`).toBe(0)
    const minor = tag?.[2] === undefined ? Infinity : Number(tag[2])
    expect(major > floorMajor || (major === floorMajor && minor >= floorMinor), `node:${major} against engines ${engines}`).toBe(true)

    // The install comes from the lockfile, inside the image, before the build; the demo is what runs.
    const at = (re: RegExp): number => dockerfile.search(re)
    expect(at(/^COPY package\.json package-lock\.json \.\/$/m)).toBeGreaterThan(0)
    expect(at(/^RUN npm ci\b/m)).toBeGreaterThan(at(/^COPY package\.json package-lock\.json/m))
    expect(at(/^RUN npm run build$/m)).toBeGreaterThan(at(/^RUN npm ci\b/m))
    expect(dockerfile).toMatch(/^CMD .*node demo\/server\.js/m)
    // Every COPY source exists; the host's install and build never enter the build context.
    for (const [, sources] of dockerfile.matchAll(/^COPY\s+(.+)\s+\S+$/gm)) {
      for (const source of (sources ?? '').split(/\s+/)) {
        expect(existsSync(new URL(`../${source}`, import.meta.url)), source).toBe(true)
        expect(source, source).not.toMatch(/^(\.|node_modules|dist)(\/|$)/)
      }
    }
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim())
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']))
    const compose = read('docker-compose.yml')
    expect(compose).not.toMatch(/image:\s*node:/)
    expect(compose).not.toMatch(/-\s*\.:\/app/)
  })

  it('has no literal secrets', () => {
    for (const file of ['docker-compose.yml', 'deploy/prometheus.yml', 'deploy/alloy/config.alloy', 'deploy/grafana/provisioning/datasources/datasources.yml']) {
      const text = read(file)
      expect(text, file).not.toMatch(/password\s*[:=]\s*["']?(?!\$|sys\.env|\/)[A-Za-z0-9]/i)
    }
  })

  it('points Alloy at the Go paths of every replica, with credentials from the environment', () => {
    const alloy = read('deploy/alloy/config.alloy')
    for (const fragment of ['"demo-a:3000"', '"demo-b:3000"', 'path    = "/debug/pprof/profile"', 'path    = "/debug/pprof/allocs"', 'path    = "/debug/pprof/goroutine"', 'sys.env("PPROF_PASSWORD")', 'url = "http://pyroscope:4040"']) {
      expect(alloy).toContain(fragment)
    }
  })

  it('provisions a dashboard whose every Prometheus series exists in /debug/metrics', async () => {
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/node-runtime.json')) as { panels: Array<{ targets: Array<{ expr?: string }> }> }
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr ?? '')).filter((e) => e !== '')
    expect(exprs.length).toBeGreaterThan(5)
    const app = await build()
    try {
      const metrics = (await app.inject('/debug/metrics')).payload
      for (const expr of exprs) {
        const names = expr.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\{)/g) ?? []
        expect(names.length, expr).toBeGreaterThan(0)
        for (const name of names) expect(metrics, `${name} in ${expr}`).toMatch(new RegExp(`^${name}(\\{| )`, 'm'))
      }
    } finally {
      await app.close()
    }
    const sources = read('deploy/grafana/provisioning/datasources/datasources.yml')
    expect(sources).toContain('type: prometheus')
    expect(sources).toContain('type: grafana-pyroscope-datasource')
  })
})
