import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client'
import { BROKER_STATES, type BrokerState, type GatewayObserver } from '../index.js'

/** Options of `prometheusObserver`. */
export interface PrometheusObserverOptions {
  /** The registry the metrics are registered in. @default prom-client's global `register` */
  registry?: Registry
  /** Prefix of every metric name. @default 'gangway_' */
  prefix?: string
  /** Handler latency buckets, in seconds. @default DEFAULT_LATENCY_BUCKETS */
  buckets?: readonly number[]
}

/** Handler latency buckets (seconds): 0.25 ms to 10 s. */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = Object.freeze([0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])

/** A counter series kept in a plain number; prom-client reads it at scrape time. */
interface Tally {
  readonly labels: Record<string, string>
  value: number
}

/** The series of one gateway, resolved once: a frame costs a Map lookup and a few additions. */
interface GatewaySeries {
  readonly framesIn: Tally
  readonly bytesIn: Tally
  readonly framesOut: Tally
  readonly bytesOut: Tally
  readonly writes: Tally
  readonly events: Map<string, EventSeries>
}

interface EventSeries {
  readonly latency: { observe(value: number): void }
  readonly ok: Tally
}

/**
 * A `GatewayObserver` that keeps Prometheus metrics with prom-client:
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `connections` | gauge | gateway, namespace |
 * | `connections_opened_total` | counter | gateway |
 * | `connections_closed_total` | counter | gateway, code (WebSocket close code) |
 * | `upgrades_rejected_total` | counter | gateway, status (HTTP) |
 * | `frames_received_total`, `received_bytes_total` | counter | gateway |
 * | `frames_sent_total`, `sent_bytes_total`, `socket_writes_total` | counter | gateway |
 * | `handler_duration_seconds` | histogram | gateway, event |
 * | `messages_handled_total` | counter | gateway, event, outcome (`ok` or an error code) |
 * | `errors_total` | counter | gateway, code |
 * | `outbox_overflows_total` | counter | gateway |
 * | `broker_up` | gauge (1/0) | component |
 * | `broker_state` | gauge (1 for the current state) | component, state |
 * | `broker_reconnects_total` | counter | component |
 * | `broker_messages_lost_total` | counter | component, kind (`publishDropped`, `broadcastsMissed`) |
 *
 * Label values come from the app's own configuration (paths, subscribed event
 * names, error codes), never from what a client sends, so series stay bounded.
 * Counters are plain numbers handed to prom-client when it collects (a
 * prom-client `inc` hashes its labels on every call); only the latency
 * histogram is updated through prom-client per frame.
 */
export class PrometheusObserver implements GatewayObserver {
  readonly registry: Registry
  readonly #connections: Gauge
  readonly #latency: Histogram
  readonly #brokerUp: Gauge
  readonly #brokerState: Gauge
  readonly #counters: Record<CounterName, Counter>
  readonly #tallies = new Map<Counter, Map<string, Tally>>()
  readonly #gateways = new Map<string, GatewaySeries>()
  readonly #connectionChildren = new Map<string, { inc(): void; dec(): void }>()
  readonly #everConnected = new Set<string>()

  constructor(options: PrometheusObserverOptions = {}) {
    const registry = options.registry ?? defaultRegistry
    const prefix = options.prefix ?? 'gangway_'
    this.registry = registry
    const gauge = (name: string, help: string, labelNames: string[]) => metric(registry, prefix + name, () => new Gauge({ name: prefix + name, help, labelNames, registers: [registry] }))
    this.#connections = gauge('connections', 'Open WebSocket connections', ['gateway', 'namespace'])
    this.#latency = metric(registry, `${prefix}handler_duration_seconds`, () =>
      new Histogram({
        name: `${prefix}handler_duration_seconds`,
        help: 'Time from dispatch to the reply or error frame: guards, validation and handler',
        labelNames: ['gateway', 'event'],
        buckets: [...(options.buckets ?? DEFAULT_LATENCY_BUCKETS)],
        registers: [registry],
      }),
    )
    this.#brokerUp = gauge('broker_up', 'Whether a broker connection is connected (1) or not (0)', ['component'])
    this.#brokerState = gauge('broker_state', 'The current state of a broker connection (1 for the current state)', ['component', 'state'])
    const counters = {} as Record<CounterName, Counter>
    for (const [key, [name, help, labelNames]] of Object.entries(COUNTERS) as Array<[CounterName, (typeof COUNTERS)[CounterName]]>) {
      const counter = metric(registry, prefix + name, () => new Counter({ name: prefix + name, help, labelNames: [...labelNames], registers: [registry] }))
      const tallies = new Map<string, Tally>()
      this.#tallies.set(counter, tallies)
      contribute(counter, tallies)
      counters[key] = counter
    }
    this.#counters = counters
  }

  connectionOpened(gateway: string, namespace: string): void {
    this.#connection(gateway, namespace).inc()
    this.#tally('opened', { gateway }).value++
  }

  connectionClosed(gateway: string, namespace: string, code: number): void {
    this.#connection(gateway, namespace).dec()
    this.#tally('closed', { gateway, code: String(code) }).value++
  }

  upgradeRejected(gateway: string, status: number): void {
    this.#tally('upgradesRejected', { gateway, status: String(status) }).value++
  }

  frameReceived(gateway: string, bytes: number): void {
    const series = this.#series(gateway)
    series.framesIn.value++
    series.bytesIn.value += bytes
  }

  framesSent(gateway: string, frames: number, bytes: number): void {
    const series = this.#series(gateway)
    series.writes.value++
    series.framesOut.value += frames
    series.bytesOut.value += bytes
  }

  handled(gateway: string, event: string, outcome: string, durationMs: number): void {
    const events = this.#series(gateway).events
    let series = events.get(event)
    if (!series) {
      series = { latency: this.#latency.labels(gateway, event), ok: this.#tally('handled', { gateway, event, outcome: 'ok' }) }
      events.set(event, series)
    }
    series.latency.observe(durationMs / 1000)
    if (outcome === 'ok') {
      series.ok.value++
      return
    }
    this.#tally('handled', { gateway, event, outcome }).value++
    this.#tally('errors', { gateway, code: outcome }).value++
  }

  rejected(gateway: string, code: string): void {
    this.#tally('errors', { gateway, code }).value++
  }

  outboxOverflow(gateway: string): void {
    this.#tally('overflows', { gateway }).value++
  }

  brokerState(component: string, state: BrokerState): void {
    this.#brokerUp.labels(component).set(state === 'connected' ? 1 : 0)
    for (const each of BROKER_STATES) this.#brokerState.labels(component, each).set(each === state ? 1 : 0)
    if (state === 'connected') {
      if (this.#everConnected.has(component)) this.#tally('reconnects', { component }).value++
      else this.#everConnected.add(component)
    }
  }

  messagesLost(component: string, kind: string, count: number): void {
    this.#tally('lost', { component, kind }).value += count
  }

  #series(gateway: string): GatewaySeries {
    let series = this.#gateways.get(gateway)
    if (!series) {
      series = {
        framesIn: this.#tally('framesIn', { gateway }),
        bytesIn: this.#tally('bytesIn', { gateway }),
        framesOut: this.#tally('framesOut', { gateway }),
        bytesOut: this.#tally('bytesOut', { gateway }),
        writes: this.#tally('writes', { gateway }),
        events: new Map(),
      }
      this.#gateways.set(gateway, series)
    }
    return series
  }

  /** The tally of a counter series, created on first use (the key is built only on rarer paths). */
  #tally(counter: CounterName, labels: Record<string, string>): Tally {
    const tallies = this.#tallies.get(this.#counters[counter])!
    const key = Object.values(labels).join('\0')
    let tally = tallies.get(key)
    if (!tally) tallies.set(key, (tally = { labels, value: 0 }))
    return tally
  }

  #connection(gateway: string, namespace: string): { inc(): void; dec(): void } {
    const key = `${gateway}\0${namespace}`
    let child = this.#connectionChildren.get(key)
    if (!child) this.#connectionChildren.set(key, (child = this.#connections.labels(gateway, namespace)))
    return child
  }
}

type CounterName = keyof typeof COUNTERS

const COUNTERS = {
  opened: ['connections_opened_total', 'WebSocket connections accepted', ['gateway']],
  closed: ['connections_closed_total', 'WebSocket connections closed, by close code', ['gateway', 'code']],
  upgradesRejected: ['upgrades_rejected_total', 'Upgrade requests refused before the handshake, by HTTP status', ['gateway', 'status']],
  framesIn: ['frames_received_total', 'Frames received from clients', ['gateway']],
  bytesIn: ['received_bytes_total', 'Payload bytes received from clients', ['gateway']],
  framesOut: ['frames_sent_total', 'Frames written to clients', ['gateway']],
  bytesOut: ['sent_bytes_total', 'Bytes written to clients, frame headers included', ['gateway']],
  writes: ['socket_writes_total', 'Socket writes (several frames ready together go out in one write)', ['gateway']],
  handled: ['messages_handled_total', 'Frames dispatched to a handler, by outcome (ok or the error code sent)', ['gateway', 'event', 'outcome']],
  errors: ['errors_total', 'Error frames sent, by code', ['gateway', 'code']],
  overflows: ['outbox_overflows_total', 'Outboxes that filled up (slow clients)', ['gateway']],
  reconnects: ['broker_reconnects_total', 'Broker connections re-established after being lost', ['component']],
  lost: ['broker_messages_lost_total', 'Cross-node messages lost and counted: publishDropped (broker away at publish), broadcastsMissed (never arrived here)', ['component', 'kind']],
} as const satisfies Record<string, readonly [string, string, readonly string[]]>

const contributors = new WeakMap<Counter, Array<Map<string, Tally>>>()

/**
 * Adds tallies to what a counter reports when collected. Several observers on
 * one registry share its counters, so each adds its own tallies.
 */
function contribute(counter: Counter, tallies: Map<string, Tally>): void {
  let list = contributors.get(counter)
  if (!list) {
    const all: Array<Map<string, Tally>> = (list = [])
    contributors.set(counter, all)
    ;(counter as unknown as { collect: () => void }).collect = () => {
      counter.reset()
      for (const each of all) for (const { labels, value } of each.values()) counter.inc(labels, value)
    }
  }
  list.push(tallies)
}

/** Reuses a metric already in the registry (two apps in one process, a hot reload) rather than throwing on the duplicate name. */
function metric<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create()
}

/**
 * Creates a `PrometheusObserver`; pass it in `createGateway({ observers })`.
 *
 * @example
 * const metrics = prometheusObserver()
 * const app = createGateway({ gateways, observers: [metrics] })
 */
export function prometheusObserver(options: PrometheusObserverOptions = {}): PrometheusObserver {
  return new PrometheusObserver(options)
}
