import { rpcConfigKey } from './plan.js'
import { label, type Row, type RunRecord, writesOfRecord } from './results.js'
import { BASELINE } from './targets.js'
import type { WriteMode } from './write-mode.js'

/** One goal of a benchmark issue, measured in one write mode. */
export interface Goal {
  readonly goal: string
  readonly config: string
  /** The ratio of medians: `numerator`'s figure over `denominator`'s. */
  readonly value: number
  /** The same ratio within each repetition (the targets of one repetition ran back to back). */
  readonly perRun: readonly number[]
  readonly limit: number
  /** 'max': value must be ≤ limit; 'min': value must be ≥ limit. */
  readonly kind: 'max' | 'min'
}

/** Adds a goal comparing two targets' `key` in `config`, if the run measured both. */
type AddGoal = (goal: string, config: string, numerator: string, denominator: string, key: string, limit: number, kind: 'max' | 'min') => void

/**
 * The goals of one write mode, in report order. Idle rows have no mode and count for every mode's goals;
 * idle goals read the second half's RSS per connection, not the from-empty figure with its one-time warm-up cost.
 */
export function goalsFor(writes: WriteMode, rows: readonly Row[], records: readonly RunRecord[]): Goal[] {
  const out: Goal[] = []
  const inMode = (w: WriteMode | undefined) => w === undefined || w === writes
  const get = (config: string, target: string) => rows.find((r) => r.config === config && inMode(r.writes) && r.target === target && r.generators === 1)
  const add: AddGoal = (goal, config, numerator, denominator, key, limit, kind) => {
    const a = get(config, numerator)
    const b = get(config, denominator)
    if (!a || !b) return
    const perRun = perRunRatios(records.filter((r) => inMode(writesOfRecord(r))), config, numerator, denominator, key)
    out.push({ goal, config, value: a.median[key]! / b.median[key]!, perRun, limit, kind })
  }
  if (writes === 'batched') batchedGoals(rows, add)
  else perFrameGoals(rows, add)
  return out
}

/** The goals the bench has checked from the start, with the generator batching its writes. */
function batchedGoals(rows: readonly Row[], add: AddGoal): void {
  for (const config of configs(rows, 'rpc')) {
    const w = Number(/w=(\d+)/.exec(config)?.[1])
    const limit = w >= 16 ? 0.9 : 1.05
    add(`server µs/op ≤ ${limit}× raw ws`, config, 'gangway', BASELINE, 'serverMicrosPerOp', limit, 'max')
    for (const peer of ['nest-ws', 'nest-socket.io', 'socket.io'] as const) {
      const need = peer === 'socket.io' ? 1.4 : 2
      add(`≥ ${need}× cheaper than ${label(peer)} (their µs/op ÷ gangway's)`, config, peer, 'gangway', 'serverMicrosPerOp', need, 'min')
    }
    add('p99 ≤ 1.10× raw ws', config, 'gangway', BASELINE, 'p99Ms', 1.1, 'max')
  }
  for (const config of configs(rows, 'fanout')) {
    add('server µs/delivery ≤ 1.0× raw ws', config, 'gangway', BASELINE, 'serverMicrosPerOp', 1, 'max')
    add('server µs/delivery ≤ 0.8× Socket.IO', config, 'gangway', 'socket.io', 'serverMicrosPerOp', 0.8, 'max')
  }
  for (const config of configs(rows, 'idle')) {
    add('RSS per added connection ≤ 1.2× raw ws', config, 'gangway', BASELINE, 'rssPerConnectionKiB', 1.2, 'max')
  }
}

/** Issue 14: what an outside harness with plain `ws` clients (one write per `send`) should see. */
const PER_FRAME_RPC_LIMITS = [
  { connections: 100, inflight: 1, limit: 0.9 },
  { connections: 1000, inflight: 1, limit: 0.9 },
  { connections: 100, inflight: 16, limit: 0.6 },
] as const

function perFrameGoals(rows: readonly Row[], add: AddGoal): void {
  for (const { connections, inflight, limit } of PER_FRAME_RPC_LIMITS) {
    add(`server µs/op ≤ ${limit.toFixed(2)}× raw ws`, rpcConfigKey(connections, inflight), 'gangway', BASELINE, 'serverMicrosPerOp', limit, 'max')
  }
  for (const config of configs(rows, 'idle')) {
    add('RSS per added connection ≤ 1.0× raw ws', config, 'gangway', BASELINE, 'rssPerConnectionKiB', 1, 'max')
  }
}

export function configs(rows: readonly Row[], scenario: string): string[] {
  return [...new Set(rows.filter((r) => r.scenario === scenario).map((r) => r.config))]
}

function perRunRatios(records: readonly RunRecord[], config: string, numerator: string, denominator: string, key: string): number[] {
  const figure = (target: string, repetition: number) =>
    (records.find((r) => r.config === config && r.target === target && r.generators === 1 && r.repetition === repetition)?.measurement as Record<string, number> | undefined)?.[key]
  const repetitions = [...new Set(records.filter((r) => r.config === config).map((r) => r.repetition))].sort((a, b) => a - b)
  return repetitions.flatMap((repetition) => {
    const a = figure(numerator, repetition)
    const b = figure(denominator, repetition)
    return a !== undefined && b !== undefined ? [a / b] : []
  })
}
