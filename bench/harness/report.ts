import { configs, goalsFor } from './goals.js'
import type { Mode } from './plan.js'
import { aggregate, baselineOf, label, ratio, saturation, type Row, type RunRecord } from './results.js'
import { BASELINE, TARGET_NAMES } from './targets.js'
import { WRITE_MODES, type WriteMode } from './write-mode.js'

const fmt = {
  int: (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—'),
  fixed: (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '—'),
  ratio: (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—'),
  pct: (v: number) => (Number.isFinite(v) ? `${Math.round(v * 100)}%` : '—'),
}

/** Rows of one write mode together (batched first, as before per-frame existed), then by target. */
function order(rows: readonly Row[]): Row[] {
  const mode = (row: Row) => (row.writes === undefined ? -1 : WRITE_MODES.indexOf(row.writes))
  return [...rows].sort((a, b) => mode(a) - mode(b) || TARGET_NAMES.indexOf(a.target) - TARGET_NAMES.indexOf(b.target) || a.generators - b.generators)
}

function problems(row: Row): string {
  const notes: string[] = []
  if (row.failedRuns > 0) notes.push(`${row.failedRuns} run(s) failed: ${[...new Set(row.errors)].join('; ')}`)
  if (row.median.failures! > 0) notes.push(`${fmt.int(row.median.failures!)} error answers`)
  if (row.median.closed! > 0) notes.push(`${fmt.int(row.median.closed!)} connections closed`)
  // The socket backed up, so Node coalesced queued frames into one writev after all.
  if (row.writes === 'per-frame' && row.median.framesPerWrite! > 1.01) notes.push('some frames shared a write')
  return notes.join(', ')
}

function loadTable(rows: readonly Row[], config: string, unit: 'request' | 'delivery'): string {
  const per = unit === 'request' ? 'op' : 'delivery'
  const lines = [
    `| client writes | target | ${unit === 'request' ? 'requests' : 'deliveries'}/s | × raw ws | server µs/${per} | × raw ws | spread | p50 ms | p99 ms | p99 × raw ws | ` +
      'server CPU | generator CPU | frames/write | saturated | notes |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ]
  for (const row of order(rows.filter((r) => r.config === config && r.generators === 1))) {
    const m = row.median
    lines.push(
      `| ${row.writes} | ${label(row.target)} | ${fmt.int(m.opsPerSec!)} | ${fmt.ratio(ratio(rows, row, 'opsPerSec'))} | ${fmt.fixed(m.serverMicrosPerOp!, 2)} | ` +
        `**${fmt.ratio(ratio(rows, row, 'serverMicrosPerOp'))}** | ±${fmt.pct(row.spread / 2)} | ${fmt.fixed(m.p50Ms!, 2)} | ${fmt.fixed(m.p99Ms!, 2)} | ` +
        `${fmt.ratio(ratio(rows, row, 'p99Ms'))} | ${fmt.pct(m.serverCpu!)} | ${fmt.pct(m.generatorCpu!)} | ${fmt.fixed(m.framesPerWrite ?? Number.NaN, 2)} | ` +
        `${saturation(row)} | ${problems(row)} |`,
    )
  }
  return lines.join('\n')
}

function idleTable(rows: readonly Row[], config: string): string {
  const lines = [
    '| target | connections | server RSS per connection, KiB | × raw ws | spread | RSS from empty, KiB | × raw ws | ' +
      'JS heap (live) per connection, KiB | × raw ws | live heap from empty, KiB | × raw ws | JS heap committed per connection, KiB | × raw ws | notes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ]
  for (const row of order(rows.filter((r) => r.config === config))) {
    const m = row.median
    const figure = (key: string, digits: number) => `${fmt.fixed(m[key] ?? Number.NaN, digits)} | ${fmt.ratio(ratio(rows, row, key))}`
    lines.push(
      `| ${label(row.target)} | ${fmt.int(m.connections!)} | ${fmt.fixed(m.rssPerConnectionKiB!, 1)} | **${fmt.ratio(ratio(rows, row, 'rssPerConnectionKiB'))}** | ±${fmt.pct(row.spread / 2)} | ` +
        `${figure('rssFromEmptyPerConnectionKiB', 1)} | ${figure('heapPerConnectionKiB', 2)} | ${figure('heapFromEmptyPerConnectionKiB', 2)} | ` +
        `${figure('heapCommittedPerConnectionKiB', 2)} | ${problems(row)} |`,
    )
  }
  return lines.join('\n')
}

function generatorCheckTable(rows: readonly Row[]): string | undefined {
  const checked = rows.filter((r) => r.target === BASELINE && r.generators > 1)
  if (checked.length === 0) return undefined
  const lines = [
    '| configuration | client writes | generators | requests/s | server µs/op | server CPU | generator CPU (sum) | µs/op, 2 vs 1 generator |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ]
  for (const two of order(checked)) {
    const one = baselineOf(rows, two.config, two.writes)
    if (!one) continue
    for (const row of [one, two]) {
      const m = row.median
      lines.push(
        `| ${row.config} | ${row.writes} | ${row.generators} | ${fmt.int(m.opsPerSec!)} | ${fmt.fixed(m.serverMicrosPerOp!, 2)} | ${fmt.pct(m.serverCpu!)} | ${fmt.pct(m.generatorCpu!)} | ` +
          `${row === two ? fmt.ratio(two.median.serverMicrosPerOp! / one.median.serverMicrosPerOp!) : ''} |`,
      )
    }
  }
  return lines.join('\n')
}

const GOAL_CAPTIONS: Record<WriteMode, string> = {
  batched: '**Batched client writes** (the goals checked since the first run)',
  'per-frame': '**Per-frame client writes** (issue 14: what plain `ws` clients, one write per `send`, should see; idle connections write nothing, so the idle goal reads the same idle runs)',
}

function goalTable(writes: WriteMode, rows: readonly Row[], records: readonly RunRecord[]): string {
  const goals = goalsFor(writes, rows, records)
  if (goals.length === 0) return `${GOAL_CAPTIONS[writes]}: none of its configurations was measured in this run.`
  const lines = [GOAL_CAPTIONS[writes], '', '| goal (gangway) | configuration | measured (medians) | each repetition | met |', '|---|---|---:|---|:---:|']
  for (const goal of goals) {
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
    parts.push(
      `#### rpc — ${c} connections × ${w} request${w === '1' ? '' : 's'} in flight (\`echo\` of ${message}; ${writeModesOf(rows, config)}; ${reps})\n\n` +
        loadTable(rows, config, 'request'),
    )
  }
  for (const config of configs(rows, 'fanout')) {
    const n = /n=(\d+)/.exec(config)?.[1]
    parts.push(
      `#### fanout — ${n} subscribers in one room, one publisher, ${mode.publishWindow} messages in flight (${writeModesOf(rows, config)}; ${reps})\n\n` +
        loadTable(rows, config, 'delivery'),
    )
  }
  for (const config of configs(rows, 'idle')) {
    const n = /n=(\d+)/.exec(config)?.[1]
    const halves = rows.some((r) => r.config === config && Number.isFinite(r.median.rssPerConnectionKiB!))
    parts.push(
      `#### idle memory — ${n} idle connections, ${halves ? 'opened in two halves' : 'measured from empty only (saved before the two halves)'} (${reps})\n\n` +
        'Per connection: what the second half added, divided by its connections (the goals use this). ' +
        `From empty: what all ${n} added to the freshly started server, one-time warm-up included, divided by all of them.\n\n${idleTable(rows, config)}`,
    )
  }
  const check = generatorCheckTable(rows)
  if (check) parts.push(`#### Is the generator the bottleneck? raw ws driven by one generator process vs two (${reps})\n\n${check}`)
  const modes = WRITE_MODES.filter((writes) => mode.writes.includes(writes))
  parts.push(`#### Goals\n\n${modes.map((writes) => goalTable(writes, rows, records)).join('\n\n')}`)
  return parts.join('\n\n')
}

/** "batched and per-frame client writes", as measured for one configuration. */
function writeModesOf(rows: readonly Row[], config: string): string {
  const modes = WRITE_MODES.filter((writes) => rows.some((r) => r.config === config && r.writes === writes))
  return `${modes.join(' and ')} client writes`
}
