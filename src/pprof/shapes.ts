import type { ProfileShape } from './builder.js'

/**
 * Go's sample types for each profile name (runtime/pprof proto.go and
 * protomem.go), so scrapers derive the same profile type ids they use for Go:
 * process_cpu:cpu:nanoseconds:cpu:nanoseconds, memory:alloc_space:bytes:space:bytes, ...
 */
export function heapShape (intervalBytes: number): ProfileShape {
  return {
    sampleTypes: [['inuse_objects', 'count'], ['inuse_space', 'bytes']],
    periodType: ['space', 'bytes'],
    period: intervalBytes,
    defaultSampleType: 'inuse_space'
  }
}

export function allocsShape (intervalBytes: number): ProfileShape {
  return {
    sampleTypes: [['alloc_objects', 'count'], ['alloc_space', 'bytes'], ['inuse_objects', 'count'], ['inuse_space', 'bytes']],
    periodType: ['space', 'bytes'],
    period: intervalBytes,
    defaultSampleType: 'alloc_space'
  }
}

export function cpuShape (periodNanos: number): ProfileShape {
  return {
    sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']],
    periodType: ['cpu', 'nanoseconds'],
    period: periodNanos
  }
}

export function countShape (name: string): ProfileShape {
  return { sampleTypes: [[name, 'count']], periodType: [name, 'count'], period: 1 }
}

export function contentionShape (): ProfileShape {
  return {
    sampleTypes: [['contentions', 'count'], ['delay', 'nanoseconds']],
    periodType: ['contentions', 'count'],
    period: 1
  }
}
