/**
 * The route table: everything the plugin serves, relative to the prefix. The
 * plugin registers it, Go's /pprof/ index lists its Go names, the page and
 * the README (npm run docs) show it, and test/route-table.test.ts checks it.
 * A new route is one entry here and its handler in handlers/.
 */
import { cpuProfile } from './handlers/cpu-profile.js'
import { goIndex, goIndexRedirect } from './handlers/go-index.js'
import type { RouteSpec } from './handlers/handler.js'
import { heapSnapshot } from './handlers/heap-snapshot.js'
import { leakEvidence, leaks } from './handlers/leaks.js'
import { metrics } from './handlers/metrics.js'
import { namedProfile } from './handlers/named-profile.js'
import { retainers } from './handlers/retainers.js'
import { page, pageAsset } from './handlers/page.js'
import { cmdlineRefused, traceNotImplemented } from './handlers/refuse.js'
import { requests } from './handlers/requests.js'
import { stallProfile, stalls } from './handlers/stalls.js'
import { stats, statsHistory, vars } from './handlers/stats.js'
import { symbol } from './handlers/symbol.js'
import { ALLOCS, BLOCK, GOROUTINE, HEAP, MUTEX, type NamedProfile, THREADCREATE } from './named/catalog.js'

export type { RouteSpec } from './handlers/handler.js'

/** A Go alias of a named profile: Go's path, Go's description, the count Go's index shows. */
function goNamed (profile: NamedProfile, description: string, goDescription: string): RouteSpec {
  return {
    path: `/pprof/${profile.name}`,
    description,
    serve: namedProfile(profile),
    go: { name: profile.name, description: goDescription, count: profile.count },
    audit: true
  }
}

export const ROUTES: readonly RouteSpec[] = [
  { path: '/', serve: page, description: 'The page, for a browser: live charts of memory, GC and the event loop; heap, heap-growth and CPU profiles as -top tables and flame graphs with downloads; a baseline to compare against; the event-loop stalls caught, each with its profile; every route. Its scripts and styles are served at /ui/<file>.' },
  { path: '/ui/:file', serve: pageAsset, unlisted: true, description: 'The page\'s scripts and styles, from memory by an allowlist.' },
  { path: '/heap', serve: namedProfile(HEAP), audit: true, description: 'In-use heap profile (gzipped profile.proto). ?gc=1 collects garbage first; ?seconds=N returns what grew over N seconds; ?since=2h what grew since the leak watch\'s capture of 2 hours ago; ?debug=1 is Go\'s text format.' },
  { path: '/leaks', serve: leaks, optIn: 'leakWatch', description: 'The leak watch\'s verdict (growing, steady or warming-up) and its suspects, the allocation sites whose retained bytes keep rising across its captures, as JSON; ?debug=1 gives text. Also lists the heap profiles written when the heap neared its limit, served at /leaks/evidence/<file>.' },
  { path: '/leaks/evidence/:file', serve: leakEvidence, optIn: 'leakWatch', audit: true, unlisted: true, description: 'A heap profile the leak watch wrote when the heap neared its limit, by the name /leaks lists.' },
  { path: '/leaks/retainers', serve: retainers, optIn: 'retainers', audit: true, description: 'Deep mode, off unless retainers is set: a heap snapshot, parsed in a worker, answers who keeps the objects that are new since the previous call, as retainer paths from the GC roots (variable and property names, constructor names) clustered largest first, beside the leak watch\'s suspects. The first call takes the base. Refused with its estimate when the stall or memory would exceed the option\'s limits. ?debug=1 gives text.' },
  { path: '/allocs', serve: namedProfile(ALLOCS), audit: true, description: 'Allocation profile over ?seconds=N: every allocation sampled, collected objects included (alloc_space default). Pauses the in-use heap sampler for the window; its view starts over after.' },
  { path: '/profile', serve: cpuProfile, audit: true, description: 'CPU profile of the main thread for ?seconds=N (default 30), one at a time per process.' },
  { path: '/stats', serve: stats, description: 'Runtime stats as JSON: Go\'s MemStats names where they map, plus V8 heap spaces, GC by kind, event-loop delay and utilization, active resources, the heap engine. ?debug=1 gives text.' },
  { path: '/stats/history', serve: statsHistory, description: 'The last hour (configurable) of key series, one point a second, for charts. ?since=<ms> returns newer points only.' },
  { path: '/metrics', serve: metrics, description: 'Prometheus text format: prom-client\'s default Node metric names (heap, GC, event loop, handles, CPU, fds) plus event-loop utilization, V8 contexts, the heap engine and requests in flight.' },
  { path: '/requests', serve: requests, optIn: 'requests', description: 'The app\'s requests in flight, oldest first, as JSON: route pattern, method, age, whether the client is still connected, and the stage (the last Fastify hook entered, or the handler); at most 1000 listed, with the total and the count older than requests.slowMs. Never the URL, query, headers or body; the plugin\'s own routes are left out. ?debug=1 gives text grouped by route and stage (Go\'s goroutine?debug=1).' },
  { path: '/stalls', serve: stalls, optIn: 'stallWatch', description: 'Event-loop stalls caught as they happened, newest first, as JSON: when, how long the loop was blocked, the top frames of a CPU profile the watchdog thread took while it was, the route being served, the GC pause time inside it, and the path of the profile. ?debug=1 gives text.' },
  { path: '/stalls/:id', serve: stallProfile, optIn: 'stallWatch', audit: true, unlisted: true, description: 'One stall\'s CPU profile (gzipped profile.proto), by the path /stalls lists.' },
  { path: '/vars', serve: vars, description: 'Go expvar\'s shape: {"cmdline": [...], "memstats": {...}}; cmdline without arguments unless exposeArgv.' },
  { path: '/heapsnapshot', serve: heapSnapshot, audit: true, optIn: 'heapSnapshot', description: 'A V8 heap snapshot for Chrome DevTools, off unless heapSnapshot: true. Stops the event loop for the whole write; needs about twice the heap in free memory.' },
  { path: '/pprof/', serve: goIndex, description: 'Go\'s /debug/pprof/ index, for go tool pprof, Parca and Grafana Alloy.' },
  { path: '/pprof', serve: goIndexRedirect, unlisted: true, description: 'Redirects to /pprof/, as Go\'s mux does.' },
  goNamed(HEAP, 'Same as /heap.',
    'A sampling of memory allocations of live objects (V8 sampling heap profiler). You can specify the gc GET parameter to run GC before taking the heap sample.'),
  {
    path: '/pprof/profile',
    serve: cpuProfile,
    audit: true,
    description: 'Same as /profile.',
    go: { name: 'profile', count: () => 0, description: 'CPU profile of the main thread. You can specify the duration in the seconds GET parameter. After you get the profile file, use the go tool pprof command to investigate the profile.' }
  },
  goNamed(ALLOCS, 'Same as /allocs; without seconds, the in-use heap in Go\'s allocs shape (alloc_* zero) for scrapers.',
    'A sampling of memory allocations, objects already collected included, over ?seconds=N. Without seconds: the in-use heap (Node keeps no cumulative allocation counts).'),
  goNamed(GOROUTINE, 'Active resources by type, as a count profile.',
    'What keeps the event loop alive: active libuv handles and requests, counted by type (the goroutine analog).'),
  goNamed(BLOCK, 'Go\'s block profile shape, empty in Node.',
    'Stack traces that led to blocking on synchronization primitives. Node has no such events: always empty.'),
  goNamed(MUTEX, 'Go\'s mutex profile shape, empty in Node.',
    'Stack traces of holders of contended mutexes. Node has no such events: always empty.'),
  goNamed(THREADCREATE, 'Go\'s threadcreate profile shape, empty in Node.',
    'Stack traces that led to the creation of new OS threads. Node does not record them: always empty.'),
  { path: '/pprof/symbol', serve: symbol, methods: ['GET', 'HEAD', 'POST'], description: 'Address-to-function lookup used by go tool pprof for text profiles (GET or POST).' },
  { path: '/pprof/cmdline', serve: cmdlineRefused, unlisted: true, description: 'Not served: a command line can hold secrets (404, as an unknown profile).' },
  { path: '/pprof/trace', serve: traceNotImplemented, unlisted: true, description: 'Go execution traces have no Node equivalent (501).' }
]
