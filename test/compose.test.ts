import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
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
