/**
 * The one table of what the plugin serves: it drives the Go-style index at
 * {prefix}/pprof/, the page at {prefix}, and the README's routes table.
 * Paths are relative to the prefix.
 */
export interface Endpoint {
  readonly path: string
  /** Name in Go's /debug/pprof/ index, for the entries Go lists. */
  readonly goName?: string
  readonly description: string
}

export const GO_PROFILE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  allocs: 'A sampling of memory allocations, objects already collected included, over ?seconds=N. Without seconds: the in-use heap (Node keeps no cumulative allocation counts).',
  block: 'Stack traces that led to blocking on synchronization primitives. Node has no such events: always empty.',
  goroutine: 'What keeps the event loop alive: active libuv handles and requests, counted by type (the goroutine analog).',
  heap: 'A sampling of memory allocations of live objects (V8 sampling heap profiler). You can specify the gc GET parameter to run GC before taking the heap sample.',
  mutex: 'Stack traces of holders of contended mutexes. Node has no such events: always empty.',
  profile: 'CPU profile of the main thread. You can specify the duration in the seconds GET parameter. After you get the profile file, use the go tool pprof command to investigate the profile.',
  threadcreate: 'Stack traces that led to the creation of new OS threads. Node does not record them: always empty.'
}

export const ENDPOINTS: readonly Endpoint[] = [
  { path: '/', description: 'The page, for a browser: live charts of memory, GC and the event loop; heap, heap-growth and CPU profiles as -top tables and flame graphs with downloads; a baseline to compare against; every route. Its scripts and styles are served at /ui/<file>.' },
  { path: '/heap', description: 'In-use heap profile (gzipped profile.proto). ?gc=1 collects garbage first; ?seconds=N returns what grew over N seconds; ?debug=1 is Go\'s text format.' },
  { path: '/allocs', description: 'Allocation profile over ?seconds=N: every allocation sampled, collected objects included (alloc_space default). Pauses the in-use heap sampler for the window; its view starts over after.' },
  { path: '/profile', description: 'CPU profile of the main thread for ?seconds=N (default 30), one at a time per process.' },
  { path: '/stats', description: 'Runtime stats as JSON: Go\'s MemStats names where they map, plus V8 heap spaces, GC by kind, event-loop delay and utilization, active resources. ?debug=1 gives text.' },
  { path: '/stats/history', description: 'The last hour (configurable) of key series, one point a second, for charts. ?since=<ms> returns newer points only.' },
  { path: '/metrics', description: 'Prometheus text format: prom-client\'s default Node metric names (heap, GC, event loop, handles, CPU, fds) plus event-loop utilization, V8 contexts and requests in flight.' },
  { path: '/vars', description: 'Go expvar\'s shape: {"cmdline": [...], "memstats": {...}}; cmdline without arguments unless exposeArgv.' },
  { path: '/heapsnapshot', description: 'A V8 heap snapshot for Chrome DevTools, off unless heapSnapshot: true. Stops the event loop for the whole write; needs about twice the heap in free memory.' },
  { path: '/pprof/', description: 'Go\'s /debug/pprof/ index, for go tool pprof, Parca and Grafana Alloy.' },
  { path: '/pprof/heap', goName: 'heap', description: 'Same as /heap.' },
  { path: '/pprof/profile', goName: 'profile', description: 'Same as /profile.' },
  { path: '/pprof/allocs', goName: 'allocs', description: 'Same as /allocs; without seconds, the in-use heap in Go\'s allocs shape (alloc_* zero) for scrapers.' },
  { path: '/pprof/goroutine', goName: 'goroutine', description: 'Active resources by type, as a count profile.' },
  { path: '/pprof/block', goName: 'block', description: 'Go\'s block profile shape, empty in Node.' },
  { path: '/pprof/mutex', goName: 'mutex', description: 'Go\'s mutex profile shape, empty in Node.' },
  { path: '/pprof/threadcreate', goName: 'threadcreate', description: 'Go\'s threadcreate profile shape, empty in Node.' },
  { path: '/pprof/symbol', description: 'Address-to-function lookup used by go tool pprof for text profiles (GET or POST).' }
]
