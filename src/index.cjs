'use strict'
// require('fastify-pprof'). Node (20.19+, 22.12+) loads the ES module itself
// with require(), so a CommonJS app and an ES module app in one process share
// one copy of the plugin and of its one process-wide profiler guard; a second,
// CommonJS build of the code would keep a second guard. The plugin carries
// .default, .fastifyPprof, .errors and .DEFAULTS, as CommonJS Fastify plugins do.
module.exports = require('./index.js').fastifyPprof
