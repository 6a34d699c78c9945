// Turns soak samples and ledgers into the JSON result and the markdown summary RELIABILITY.md quotes.
import type { RequestCounts, StreamCounts } from './connection-ledger.js'
import type { FaultOutcome } from './soak-faults.js'

export interface Sample {
  /** Seconds since the load started. */
  t: number
  connections: number
  requestsPerSecond: number
  publishesPerSecond: number
  ticksPerSecond: number
  /** Client→server and server→client messages per second. */
  inPerSecond: number
  outPerSecond: number
  rtt: { p50: number; p99: number; max: number }
  tickLatencyP99: number
  rssMB: number
  heapMB: number
  eventLoop: { p50: number; p99: number; max: number }
}

export interface SoakResult {
  mode: string
  startedAt: string
  machine: string
  config: Record<string, unknown>
  rampSeconds: number
  durationSeconds: number
  samples: Sample[]
  faults: FaultOutcome[]
  summary: {
    connections: number
    messagesPerSecond: { in: number; out: number; total: number }
    rttMs: { p50: number; p99: number; p999: number; max: number; worstWindowP99: number }
    tickLatencyP99Ms: number
    rss: { plateauMB: number; endMB: number; driftPercent: number; maxMB: number }
    eventLoopMs: { worstWindowP99: number; max: number }
    requests: RequestCounts & { lost: number }
    broadcasts: StreamCounts & { owedByServer: number }
    unexpectedCloses: number
    afterClose: { connections: number; memberships: number }
  }
  failures: string[]
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** RSS plateau: the median of the samples between 20 % and 50 % of the run (after warm-up). */
export function rssDrift(samples: Sample[]): { plateauMB: number; endMB: number; driftPercent: number; maxMB: number } {
  if (samples.length === 0) return { plateauMB: 0, endMB: 0, driftPercent: 0, maxMB: 0 }
  const from = Math.floor(samples.length * 0.2)
  const to = Math.max(from + 1, Math.ceil(samples.length * 0.5))
  const window = samples.slice(from, to).map((s) => s.rssMB).sort((a, b) => a - b)
  const plateauMB = window[Math.floor(window.length / 2)]!
  const endMB = samples[samples.length - 1]!.rssMB
  return { plateauMB, endMB, driftPercent: ((endMB - plateauMB) / plateauMB) * 100, maxMB: Math.max(...samples.map((s) => s.rssMB)) }
}

/** What must be zero (or equal) for the run to pass. */
export function failuresOf(result: Omit<SoakResult, 'failures' | 'faults'>): string[] {
  const s = result.summary
  const failures: string[] = []
  const zero = (value: number, what: string) => value !== 0 && failures.push(`${what}: ${value}`)
  zero(s.requests.lost, 'requests lost')
  zero(s.requests.duplicates, 'duplicate answers')
  zero(s.requests.unexpected, 'answers to ids never sent')
  zero(s.requests.mismatched, 'answers carrying the wrong data')
  zero(s.requests.reportedFailed, 'requests failed')
  zero(s.broadcasts.gaps, 'broadcast gaps')
  zero(s.broadcasts.outOfOrder, 'broadcasts duplicated or reordered')
  zero(s.broadcasts.strays, 'broadcasts to non-members')
  zero(s.unexpectedCloses, 'connections closed during the run')
  zero(s.afterClose.connections, 'server connections left after close')
  zero(s.afterClose.memberships, 'room memberships left after close')
  if (s.broadcasts.owedByServer !== s.broadcasts.received) failures.push(`server owed ${s.broadcasts.owedByServer} deliveries, clients received ${s.broadcasts.received}`)
  if (s.rss.driftPercent > 10) failures.push(`RSS ended ${s.rss.driftPercent.toFixed(1)} % above its plateau`)
  return failures
}

const n = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

export function markdown(result: SoakResult): string {
  const s = result.summary
  const lines = [
    `# Soak run — ${result.mode}, ${result.startedAt}`,
    '',
    `Machine: ${result.machine}`,
    '',
    `**${result.failures.length === 0 ? 'PASS' : 'FAIL'}** — ${n(s.connections)} connections for ${n(result.durationSeconds / 60, 1)} min (ramp ${n(result.rampSeconds, 1)} s), ` +
      `${n(s.messagesPerSecond.total)} msgs/s (${n(s.messagesPerSecond.in)} in, ${n(s.messagesPerSecond.out)} out), ` +
      `request p99 ${n(s.rttMs.p99, 1)} ms (worst ${String(result.config.sampleSeconds)} s window ${n(s.rttMs.worstWindowP99, 1)} ms), RSS drift ${n(s.rss.driftPercent, 1)} %.`,
    ...result.failures.map((f) => `- FAILED: ${f}`),
    '',
    '## Ledger',
    '',
    '| | accepted / owed | delivered | reported failed | lost | duplicates | unexpected / strays | gaps | out of order |',
    '|---|---|---|---|---|---|---|---|---|',
    `| requests | ${n(s.requests.accepted)} | ${n(s.requests.delivered)} | ${n(s.requests.reportedFailed)} | ${n(s.requests.lost)} | ${n(s.requests.duplicates)} | ${n(s.requests.unexpected)} | – | – |`,
    `| broadcast deliveries | ${n(s.broadcasts.owedByServer)} (server) / ${n(s.broadcasts.owed)} (clients) | ${n(s.broadcasts.received)} | – | ${n(s.broadcasts.owedByServer - s.broadcasts.received)} | ${n(s.broadcasts.outOfOrder)} | ${n(s.broadcasts.strays)} | ${n(s.broadcasts.gaps)} | ${n(s.broadcasts.outOfOrder)} |`,
    '',
    `Connections closed during the run: ${s.unexpectedCloses}. After every client closed: ${s.afterClose.connections} server connections, ${s.afterClose.memberships} room memberships.`,
    '',
    '## Faults injected',
    '',
    ...(result.faults.length === 0 ? ['None.'] : result.faults.map((f) => `- ${f.id} — ${f.name}: ${JSON.stringify(f.detail)}${f.failures.length ? ' — FAILED: ' + f.failures.join('; ') : ' — passed'}`)),
    '',
    '## Figures',
    '',
    `- Request round trip: p50 ${n(s.rttMs.p50, 2)} ms, p99 ${n(s.rttMs.p99, 2)} ms, p99.9 ${n(s.rttMs.p999, 2)} ms, max ${n(s.rttMs.max, 1)} ms.`,
    `- Broadcast publish→receive p99: ${n(s.tickLatencyP99Ms, 1)} ms (wall clock, 1 ms resolution).`,
    `- Server RSS: plateau ${n(s.rss.plateauMB, 1)} MB, end ${n(s.rss.endMB, 1)} MB (drift ${n(s.rss.driftPercent, 1)} %), max ${n(s.rss.maxMB, 1)} MB.`,
    `- Server event-loop delay: worst window p99 ${n(s.eventLoopMs.worstWindowP99, 1)} ms, max ${n(s.eventLoopMs.max, 1)} ms.`,
    '',
    '## Over time',
    '',
    '| t (s) | conns | req/s | publish/s | ticks/s | RTT p50 | RTT p99 | RTT max | tick p99 | RSS MB | heap MB | loop p99 | loop max |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...result.samples.map(
      (x) =>
        `| ${n(x.t)} | ${n(x.connections)} | ${n(x.requestsPerSecond)} | ${n(x.publishesPerSecond)} | ${n(x.ticksPerSecond)} | ${n(x.rtt.p50, 2)} | ${n(x.rtt.p99, 2)} | ${n(x.rtt.max, 1)} | ${n(x.tickLatencyP99, 0)} | ${n(x.rssMB, 1)} | ${n(x.heapMB, 1)} | ${n(x.eventLoop.p99, 1)} | ${n(x.eventLoop.max, 1)} |`,
    ),
    '',
    '## Configuration',
    '',
    '```json',
    JSON.stringify(result.config, null, 2),
    '```',
    '',
  ]
  return lines.join('\n')
}
