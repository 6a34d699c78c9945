import type { IdleMeasurement, RunMeasurement } from './run-one.js'
import type { ScenarioName } from './plan.js'
import { BASELINE, TARGETS, type TargetName } from './targets.js'
import { LEGACY_WRITE_MODE, type WriteMode } from './write-mode.js'

/** One run as recorded in the results JSON. */
export interface RunRecord {
  readonly config: string
  readonly scenario: ScenarioName
  readonly target: TargetName
  readonly generators: number
  readonly repetition: number
  /** The generator's write mode (rpc and fanout); records saved before modes existed have none. */
  readonly writes?: WriteMode
  readonly measurement?: RunMeasurement | IdleMeasurement
  readonly error?: string
}

/** A record's write mode: undefined for idle runs, which send nothing to write. */
export function writesOfRecord(record: RunRecord): WriteMode | undefined {
  return record.scenario === 'idle' ? undefined : (record.writes ?? LEGACY_WRITE_MODE)
}

/**
 * A record as this harness reads it today. Idle runs saved before the
 * connections opened in two halves measured only from the empty server: their
 * figures are the from-empty ones, and they have no marginal figure (so their
 * idle goals read as not measured rather than as met or missed).
 */
export function upgradeRecord(record: RunRecord): RunRecord {
  const m = record.measurement as Partial<IdleMeasurement> | undefined
  if (record.scenario !== 'idle' || !m || m.rssFromEmptyPerConnectionKiB !== undefined) return record
  const measurement: IdleMeasurement = {
    connections: m.connections!,
    rssPerConnectionKiB: Number.NaN,
    heapPerConnectionKiB: Number.NaN,
    heapCommittedPerConnectionKiB: Number.NaN,
    rssFromEmptyPerConnectionKiB: m.rssPerConnectionKiB!,
    heapFromEmptyPerConnectionKiB: m.heapPerConnectionKiB!,
    heapCommittedFromEmptyPerConnectionKiB: m.heapCommittedPerConnectionKiB ?? Number.NaN,
  }
  return { ...record, measurement }
}

/** The median of each figure over the repetitions of one configuration. */
export interface Row {
  readonly config: string
  readonly scenario: ScenarioName
  readonly target: TargetName
  readonly generators: number
  /** Undefined for idle rows. */
  readonly writes: WriteMode | undefined
  readonly runs: number
  readonly failedRuns: number
  readonly errors: readonly string[]
  readonly median: Record<string, number>
  /** (max − min) / median of the cost figure (µs/op or KiB/connection); NaN when no run has one. */
  readonly spread: number
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function aggregate(records: readonly RunRecord[]): Row[] {
  const groups = new Map<string, RunRecord[]>()
  for (const record of records) {
    const key = `${record.config}|${writesOfRecord(record)}|${record.target}|${record.generators}`
    let group = groups.get(key)
    if (!group) groups.set(key, (group = []))
    group.push(record)
  }
  const rows: Row[] = []
  for (const group of groups.values()) {
    const first = group[0]!
    const measured = group.filter((r) => r.measurement !== undefined).map((r) => r.measurement as unknown as Record<string, number>)
    const keys = new Set(measured.flatMap((m) => Object.keys(m)))
    const med: Record<string, number> = {}
    for (const key of keys) med[key] = median(measured.map((m) => m[key]!))
    const costKey = first.scenario === 'idle' ? 'rssPerConnectionKiB' : 'serverMicrosPerOp'
    const costs = measured.map((m) => m[costKey]!).filter(Number.isFinite)
    rows.push({
      config: first.config,
      scenario: first.scenario,
      target: first.target,
      generators: first.generators,
      writes: writesOfRecord(first),
      runs: measured.length,
      failedRuns: group.length - measured.length,
      errors: group.flatMap((r) => (r.error ? [r.error] : [])),
      median: med,
      // No figure at all (every run failed, or an idle run saved before the two halves): no spread either.
      spread: costs.length > 1 ? (Math.max(...costs) - Math.min(...costs)) / median(costs) : costs.length === 1 ? 0 : Number.NaN,
    })
  }
  return rows
}

/** The baseline row (raw ws, one generator) of a configuration in one write mode. */
export function baselineOf(rows: readonly Row[], config: string, writes: WriteMode | undefined): Row | undefined {
  return rows.find((r) => r.config === config && r.writes === writes && r.target === BASELINE && r.generators === 1)
}

export function ratio(rows: readonly Row[], row: Row, key: string): number {
  const base = baselineOf(rows, row.config, row.writes)
  return base ? row.median[key]! / base.median[key]! : Number.NaN
}

/** Which side ran out of CPU during the window. */
export function saturation(row: Row): string {
  const m = row.median
  const serverFull = Number.isFinite(m.serverCoreBusy!) ? m.serverCoreBusy! >= 0.95 : m.serverCpu! >= 0.9
  const generatorFull = Number.isFinite(m.generatorCoreBusy!) ? m.generatorCoreBusy! >= 0.95 : m.generatorCpu! >= 0.9
  // A full core on which our process got less than 85% was shared with other load on the machine.
  const shared = (full: boolean, own: number) => (full && own < 0.85 ? '†' : '')
  if (serverFull && generatorFull) return `both${shared(true, Math.min(m.serverCpu!, m.generatorCpu!))}`
  if (serverFull) return `server${shared(true, m.serverCpu!)}`
  if (generatorFull) return `generator${shared(true, m.generatorCpu!)}`
  return 'neither'
}

export function label(target: TargetName): string {
  return TARGETS[target].label
}
