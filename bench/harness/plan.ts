import type { RunSpec } from './run-one.js'
import { BASELINE, TARGET_NAMES, type TargetName } from './targets.js'
import { LEGACY_WRITE_MODE, WRITE_MODES, type WriteMode } from './write-mode.js'

export type ScenarioName = 'rpc' | 'fanout' | 'idle'

/** How much to run. */
export interface Mode {
  readonly name: 'quick' | 'full' | 'smoke'
  readonly repetitions: number
  readonly warmupMs: number
  readonly windowMs: number
  readonly settleMs: number
  /** `messageBytes`: pad the echoed message to about this many bytes of JSON (default: a ~60-byte chat message). */
  readonly rpc: ReadonlyArray<{ readonly connections: number; readonly inflight: number; readonly messageBytes?: number }>
  readonly fanout: readonly number[]
  readonly idleConnections: number
  /** Fanout: messages in flight (sent, not yet delivered to every subscriber). */
  readonly publishWindow: number
  /** rpc configurations run against raw ws with two generator processes as well. */
  readonly generatorCheck: boolean
  /** How the generator writes its frames: each rpc and fanout configuration runs once per mode listed. */
  readonly writes: readonly WriteMode[]
}

export const FULL: Mode = {
  name: 'full',
  repetitions: 3,
  warmupMs: 2000,
  windowMs: 5000,
  settleMs: 2000,
  rpc: [
    { connections: 100, inflight: 1 },
    { connections: 100, inflight: 16 },
    { connections: 1000, inflight: 1 },
    { connections: 1000, inflight: 16 },
    { connections: 100, inflight: 16, messageBytes: 1024 },
  ],
  fanout: [1000, 5000],
  idleConnections: 10_000,
  publishWindow: 4,
  generatorCheck: true,
  writes: WRITE_MODES,
}

export const QUICK: Mode = {
  name: 'quick',
  repetitions: 1,
  warmupMs: 800,
  windowMs: 1500,
  settleMs: 800,
  rpc: [
    { connections: 100, inflight: 1 },
    { connections: 100, inflight: 16 },
  ],
  fanout: [1000],
  idleConnections: 2000,
  publishWindow: 4,
  generatorCheck: false,
  writes: WRITE_MODES,
}

/** A few connections for a few hundred ms: checks that the harness works end to end (the test suite runs it). */
export const SMOKE: Mode = {
  name: 'smoke',
  repetitions: 1,
  warmupMs: 200,
  windowMs: 400,
  settleMs: 200,
  rpc: [{ connections: 4, inflight: 2 }],
  fanout: [4],
  idleConnections: 4,
  publishWindow: 2,
  generatorCheck: false,
  // One mode: the smoke test expects one record per configuration and target.
  writes: [LEGACY_WRITE_MODE],
}

/** A run in the plan: what to run and which repetition it is. */
export interface PlannedRun {
  readonly spec: RunSpec
  readonly repetition: number
  /** Groups repetitions of the same configuration: `rpc c=100 w=1`, `fanout n=1000`, ... */
  readonly config: string
}

/** A configuration's name, the same in both write modes (records carry their mode beside it). */
export function configKey(spec: RunSpec): string {
  if (spec.scenario === 'rpc') return rpcConfigKey(spec.connections, spec.inflight, spec.messageBytes)
  if (spec.scenario === 'fanout') return `fanout n=${spec.subscribers}`
  return `idle n=${spec.connections}`
}

export function rpcConfigKey(connections: number, inflight: number, messageBytes?: number): string {
  return `rpc c=${connections} w=${inflight}${messageBytes ? ` ${messageBytes}B` : ''}`
}

/** The write mode a run's generator uses; idle runs have none (their connections send nothing). */
export function writesOf(spec: RunSpec): WriteMode | undefined {
  return spec.scenario === 'idle' ? undefined : spec.writes
}

/**
 * Every run of a mode. Repetitions are the outer loop and targets the inner
 * one, so a burst of load from elsewhere on the machine hits every target
 * alike instead of all repetitions of one; and the order of the targets
 * rotates from one configuration and repetition to the next, so no target is
 * always the one that runs right after a heavy teardown. Each write mode of a
 * configuration is its own block, so the targets compared within a mode run
 * back to back.
 */
export function planRuns(mode: Mode, targets: readonly TargetName[], scenarios: readonly ScenarioName[]): PlannedRun[] {
  const runs: PlannedRun[] = []
  const timing = { warmupMs: mode.warmupMs, windowMs: mode.windowMs, settleMs: mode.settleMs }
  let block = 0
  const order = (repetition: number) => rotate(targets, repetition - 1 + block++)
  for (let repetition = 1; repetition <= mode.repetitions; repetition++) {
    const specs: RunSpec[] = []
    if (scenarios.includes('rpc')) {
      for (const { connections, inflight, messageBytes } of mode.rpc) {
        const size = messageBytes ? { messageBytes } : {}
        for (const writes of mode.writes) {
          for (const target of order(repetition)) specs.push({ ...timing, scenario: 'rpc', target, generators: 1, connections, inflight, writes, ...size })
          if (mode.generatorCheck && !messageBytes && targets.includes(BASELINE)) {
            specs.push({ ...timing, scenario: 'rpc', target: BASELINE, generators: 2, connections, inflight, writes })
          }
        }
      }
    }
    if (scenarios.includes('fanout')) {
      for (const subscribers of mode.fanout) {
        for (const writes of mode.writes) {
          for (const target of order(repetition)) {
            specs.push({ ...timing, scenario: 'fanout', target, generators: 1, subscribers, publishWindow: mode.publishWindow, writes })
          }
        }
      }
    }
    if (scenarios.includes('idle')) {
      for (const target of order(repetition)) specs.push({ ...timing, scenario: 'idle', target, generators: 1, connections: mode.idleConnections })
    }
    for (const spec of specs) runs.push({ spec, repetition, config: configKey(spec) })
  }
  return runs
}

function rotate<T>(list: readonly T[], by: number): T[] {
  return list.map((_, i) => list[(i + by) % list.length]!)
}

/** How long to let the machine settle after a run: the kernel tears down its sockets after the processes are gone. */
export function pauseAfterMs(spec: RunSpec): number {
  const connections = spec.scenario === 'fanout' ? spec.subscribers : spec.connections
  return 300 + Math.round(connections * 0.2)
}

/** Rough seconds a run takes, for the progress line's estimate. */
export function estimateSeconds(spec: RunSpec): number {
  const start = spec.target.startsWith('nest') ? 1.5 : 0.6
  // Idle settles twice: after each half of the connections.
  if (spec.scenario === 'idle') return start + spec.connections / 1500 + (2 * spec.settleMs) / 1000 + pauseAfterMs(spec) / 1000
  const connections = spec.scenario === 'rpc' ? spec.connections : spec.subscribers
  return start + connections / 1500 + (spec.warmupMs + spec.windowMs) / 1000 + pauseAfterMs(spec) / 1000 + 0.3
}

export { TARGET_NAMES }
