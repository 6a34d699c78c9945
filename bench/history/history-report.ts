// The markdown tables of `npm run bench:history`: medians over the repetitions, the
// per-repetition figures beside them, and each goal with whether it was met.
import type { FanoutResult } from './fanout.js'
import type { StormResult } from './storm.js'

/** Results per configuration name, one per repetition, in the order they ran. */
export type Repeated<T> = Map<string, T[]>

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '—')
const whole = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—')
const each = (values: readonly number[], digits = 2) => values.map((v) => fixed(v, digits)).join(', ')
const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'yes' : '**no**')

export function fanoutTable(runs: Repeated<FanoutResult>, size: { subscribers: number; seconds: number }): string {
  const rows = [...runs].map(([name, results]) => ({
    name,
    results,
    rate: median(results.map((r) => r.deliveriesPerSec)),
    micros: median(results.map((r) => r.nodeMicrosPerDelivery)),
  }))
  const lines = [
    `#### Fanout with history on vs off — 3 gangway nodes, ${size.subscribers} subscribers in one room, 1 publisher, 16 messages in flight, ${size.seconds} s windows (median)`,
    '',
    '| configuration | deliveries/s | nodes\' CPU µs/delivery | per repetition (µs) | p50 / p99 ms | p99 at 30 msg/s (ms) | lost | runs |',
    '|---|---:|---:|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${whole(r.rate)} | ${fixed(r.micros, 2)} | ${each(r.results.map((x) => x.nodeMicrosPerDelivery))} | ` +
        `${fixed(median(r.results.map((x) => x.p50Ms)))} / ${fixed(median(r.results.map((x) => x.p99Ms)))} | ${fixed(median(r.results.map((x) => x.fixedRateP99Ms)))} | ` +
        `${r.results.reduce((sum, x) => sum + x.lost, 0)} | ${r.results.length} |`,
    ),
  ]
  const goals: string[] = []
  for (const broker of ['Redis', 'NATS']) {
    const off = rows.find((r) => r.name === `${broker}, history off`)
    const on = rows.find((r) => r.name === `${broker}, history on`)
    if (!off || !on || off.results.length === 0 || on.results.length === 0) continue
    const ratio = on.micros / off.micros
    const pairs = on.results.map((r, i) => r.nodeMicrosPerDelivery / (off.results[i]?.nodeMicrosPerDelivery ?? NaN))
    goals.push(`| history costs ≤ 1.15× per delivery (${broker}) | ${fixed(ratio, 2)}× | ${each(pairs)} | ${verdict(ratio <= 1.15)} |`)
  }
  if (goals.length) lines.push('', '| goal | on ÷ off (medians) | per repetition | met |', '|---|---:|---|---|', ...goals)
  return lines.join('\n')
}

/** What the server itself counted as recovered, where it can tell (Socket.IO's `socket.recovered`). */
function serverSide(results: readonly StormResult[]): string {
  if (results.some((r) => r.serverRecovered < 0)) return ''
  return `; server: ${results.reduce((sum, r) => sum + r.serverRecovered, 0)} \`socket.recovered\``
}

export function stormTable(runs: Repeated<StormResult>, spec: { clients: number; rooms: number; behind: number; generators: number; live: number }): string {
  const rows = [...runs].map(([name, results]) => ({ name, results, all: median(results.map((r) => r.allRecoveredMs)) }))
  const m = (results: StormResult[], pick: (r: StormResult) => number) => median(results.map(pick))
  const lines = [
    `#### Recovery storm — ${spec.clients.toLocaleString('en-US')} clients in ${spec.rooms} room(s) reconnect at once, each ${spec.behind} messages behind; ` +
      `${spec.generators} load-generator processes, ${spec.live} live clients doing request/reply (median)`,
    '',
    '| configuration | all recovered (s) | per repetition (s) | recovery p50 / p99 (s) | recovered | node RSS before → peak (MiB) | CPU over the storm: node / generators (s) | live p99 idle → storm (ms) | live p99 ÷ idle | node event-loop delay p99 idle → storm (ms) | runs |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(({ name, results, all }) => {
      const recovered = results.reduce((sum, r) => sum + r.recovered, 0)
      const expected = results.reduce((sum, r) => sum + r.connected, 0)
      const reasons = new Map<string, number>()
      for (const r of results) for (const [reason, n] of Object.entries(r.reasons)) reasons.set(reason, (reasons.get(reason) ?? 0) + n)
      const why = [...reasons].map(([reason, n]) => `${n}× ${reason}`).join('; ')
      return (
        `| ${name} | ${fixed(all / 1000, 2)} | ${each(results.map((r) => r.allRecoveredMs / 1000))} | ${fixed(m(results, (r) => r.recoveryP50Ms) / 1000, 2)} / ${fixed(m(results, (r) => r.recoveryP99Ms) / 1000, 2)} | ` +
        `${recovered}/${expected}${why ? ` (${why})` : ''}${serverSide(results)} | ${whole(m(results, (r) => r.rssBeforeMiB))} → ${whole(m(results, (r) => r.peakRssMiB))} | ${fixed(m(results, (r) => r.nodeCpuMs) / 1000, 2)} / ${fixed(m(results, (r) => r.generatorsCpuMs) / 1000, 2)} | ` +
        `${fixed(m(results, (r) => r.liveIdleP99Ms), 2)} → ${fixed(m(results, (r) => r.liveStormP99Ms), 2)} | ${fixed(m(results, (r) => r.liveStormP99Ms / r.liveIdleP99Ms), 2)}× | ` +
        `${fixed(m(results, (r) => r.loopIdleP99Ms), 1)} → ${fixed(m(results, (r) => r.loopStormP99Ms), 1)} | ${results.length} |`
      )
    }),
  ]
  const socketio = rows.find((r) => r.name.startsWith('Socket.IO'))
  const goals: string[] = []
  for (const row of rows.filter((r) => r !== socketio && r.results.length > 0)) {
    const complete = row.results.every((r) => r.failed === 0)
    if (socketio && socketio.results.length > 0) {
      const speedup = socketio.all / row.all
      const pairs = row.results.map((r, i) => (socketio.results[i]?.allRecoveredMs ?? NaN) / r.allRecoveredMs)
      goals.push(`| all recovered ≥ 2× sooner than Socket.IO — ${row.name} | ${fixed(speedup, 2)}× | ${each(pairs)} | ${verdict(complete && speedup >= 2)} |`)
    }
    const ratios = row.results.map((r) => r.liveStormP99Ms / r.liveIdleP99Ms)
    goals.push(`| live p99 during the storm ≤ 2× idle — ${row.name} | ${fixed(median(ratios), 2)}× | ${each(ratios)} | ${verdict(median(ratios) <= 2)} |`)
  }
  if (goals.length) lines.push('', '| goal | median | per repetition | met |', '|---|---:|---|---|', ...goals)
  return lines.join('\n')
}
