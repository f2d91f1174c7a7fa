#!/usr/bin/env node
// `npx fastify-pprof retainers base.heapsnapshot target.heapsnapshot`: the
// analysis of /leaks/retainers on any two snapshots of one process (a
// /heapsnapshot download, a --heapsnapshot-near-heap-limit file).
import { main } from './command.js'

process.exitCode = await main(process.argv.slice(2))
