import type { Mode } from './plan.js'
import { aggregate, baselineOf, label, ratio, saturation, type Row, type RunRecord } from './results.js'
import { BASELINE, TARGET_NAMES } from './targets.js'

const fmt = {
  int: (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—'),
  fixed: (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '—'),
  ratio: (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—'),
  pct: (v: number) => (Number.isFinite(v) ? `${Math.round(v * 100)}%` : '—'),
}

function order(rows: readonly Row[]): Row[] {
  return [...rows].sort((a, b) => TARGET_NAMES.indexOf(a.target) - TARGET_NAMES.indexOf(b.target) || a.generators - b.generators)
}

function configs(rows: readonly Row[], scenario: string): string[] {
  return [...new Set(rows.filter((r) => r.scenario === scenario).map((r) => r.config))]
}

function problems(row: Row): string {
  const notes: string[] = []
  if (row.failedRuns > 0) notes.push(`${row.failedRuns} run(s) failed: ${[...new Set(row.errors)].join('; ')}`)
  if (row.median.failures! > 0) notes.push(`${fmt.int(row.median.failures!)} error answers`)
  if (row.median.closed! > 0) notes.push(`${fmt.int(row.median.closed!)} connections closed`)
  return notes.join(', ')
}

function loadTable(rows: readonly Row[], config: string, unit: 'request' | 'delivery'): string {
  const per = unit === 'request' ? 'op' : 'delivery'
  const lines = [
    `| target | ${unit === 'request' ? 'requests' : 'deliveries'}/s | × raw ws | server µs/${per} | × raw ws | spread | p50 ms | p99 ms | p99 × raw ws | server CPU | generator CPU | saturated | notes |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ]
  for (const row of order(rows.filter((r) => r.config === config && r.generators === 1))) {
    const m = row.median
    lines.push(
      `| ${label(row.target)} | ${fmt.int(m.opsPerSec!)} | ${fmt.ratio(ratio(rows, row, 'opsPerSec'))} | ${fmt.fixed(m.serverMicrosPerOp!, 2)} | ` +
        `**${fmt.ratio(ratio(rows, row, 'serverMicrosPerOp'))}** | ±${fmt.pct(row.spread / 2)} | ${fmt.fixed(m.p50Ms!, 2)} | ${fmt.fixed(m.p99Ms!, 2)} | ` +
        `${fmt.ratio(ratio(rows, row, 'p99Ms'))} | ${fmt.pct(m.serverCpu!)} | ${fmt.pct(m.generatorCpu!)} | ${saturation(row)} | ${problems(row)} |`,
    )
  }
  return lines.join('\n')
}

function idleTable(rows: readonly Row[], config: string): string {
  const lines = [
    '| target | connections | server RSS per connection, KiB | × raw ws | spread | JS heap (live) per connection, KiB | × raw ws | JS heap committed per connection, KiB | × raw ws | notes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ]
  for (const row of order(rows.filter((r) => r.config === config))) {
    const m = row.median
    lines.push(
      `| ${label(row.target)} | ${fmt.int(m.connections!)} | ${fmt.fixed(m.rssPerConnectionKiB!, 1)} | **${fmt.ratio(ratio(rows, row, 'rssPerConnectionKiB'))}** | ±${fmt.pct(row.spread / 2)} | ` +
        `${fmt.fixed(m.heapPerConnectionKiB!, 2)} | ${fmt.ratio(ratio(rows, row, 'heapPerConnectionKiB'))} | ` +
        `${fmt.fixed(m.heapCommittedPerConnectionKiB ?? Number.NaN, 2)} | ${fmt.ratio(ratio(rows, row, 'heapCommittedPerConnectionKiB'))} | ${problems(row)} |`,
    )
  }
  return lines.join('\n')
}

function generatorCheckTable(rows: readonly Row[]): string | undefined {
  const checked = rows.filter((r) => r.target === BASELINE && r.generators > 1)
  if (checked.length === 0) return undefined
  const lines = [
    '| configuration | generators | requests/s | server µs/op | server CPU | generator CPU (sum) | µs/op, 2 vs 1 generator |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ]
  for (const two of checked) {
    const one = baselineOf(rows, two.config)
    if (!one) continue
    for (const row of [one, two]) {
      const m = row.median
      lines.push(
        `| ${row.config} | ${row.generators} | ${fmt.int(m.opsPerSec!)} | ${fmt.fixed(m.serverMicrosPerOp!, 2)} | ${fmt.pct(m.serverCpu!)} | ${fmt.pct(m.generatorCpu!)} | ` +
          `${row === two ? fmt.ratio(two.median.serverMicrosPerOp! / one.median.serverMicrosPerOp!) : ''} |`,
      )
    }
  }
  return lines.join('\n')
}

interface Goal {
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

function goals(rows: readonly Row[], records: readonly RunRecord[]): Goal[] {
  const out: Goal[] = []
  const get = (config: string, target: string) => rows.find((r) => r.config === config && r.target === target && r.generators === 1)
  const add = (goal: string, config: string, numerator: string, denominator: string, key: string, limit: number, kind: 'max' | 'min') => {
    const a = get(config, numerator)
    const b = get(config, denominator)
    if (!a || !b) return
    out.push({ goal, config, value: a.median[key]! / b.median[key]!, perRun: perRunRatios(records, config, numerator, denominator, key), limit, kind })
  }
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
    add('RSS per connection ≤ 1.2× raw ws', config, 'gangway', BASELINE, 'rssPerConnectionKiB', 1.2, 'max')
  }
  return out
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

function goalTable(rows: readonly Row[], records: readonly RunRecord[]): string {
  const lines = ['| goal (gangway) | configuration | measured (medians) | each repetition | met |', '|---|---|---:|---|:---:|']
  for (const goal of goals(rows, records)) {
    const met = Number.isFinite(goal.value) ? (goal.kind === 'max' ? goal.value <= goal.limit : goal.value >= goal.limit) : false
    lines.push(
      `| ${goal.goal} | ${goal.config} | ${fmt.ratio(goal.value)} | ${goal.perRun.map(fmt.ratio).join(', ')} | ${Number.isFinite(goal.value) ? (met ? 'yes' : '**no**') : '—'} |`,
    )
  }
  return lines.join('\n')
}

/** The results as markdown: what the run prints and what goes into BENCHMARKS.md. */
export function renderResults(records: readonly RunRecord[], mode: Mode): string {
  const rows = aggregate(records)
  const parts: string[] = []
  const reps = `median of ${mode.repetitions} run${mode.repetitions > 1 ? 's' : ''}`
  for (const config of configs(rows, 'rpc')) {
    const [, c, w, bytes] = /c=(\d+) w=(\d+)(?: (\d+)B)?/.exec(config) ?? []
    const message = bytes ? `a ${bytes}-byte message` : 'a ~60-byte message'
    parts.push(`#### rpc — ${c} connections × ${w} request${w === '1' ? '' : 's'} in flight (\`echo\` of ${message}; ${reps})\n\n${loadTable(rows, config, 'request')}`)
  }
  for (const config of configs(rows, 'fanout')) {
    const n = /n=(\d+)/.exec(config)?.[1]
    parts.push(`#### fanout — ${n} subscribers in one room, one publisher, ${mode.publishWindow} messages in flight (${reps})\n\n${loadTable(rows, config, 'delivery')}`)
  }
  for (const config of configs(rows, 'idle')) {
    parts.push(`#### idle memory — ${/n=(\d+)/.exec(config)?.[1]} idle connections (${reps})\n\n${idleTable(rows, config)}`)
  }
  const check = generatorCheckTable(rows)
  if (check) parts.push(`#### Is the generator the bottleneck? raw ws driven by one generator process vs two (${reps})\n\n${check}`)
  parts.push(`#### Goals\n\n${goalTable(rows, records)}`)
  return parts.join('\n\n')
}
