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

interface Child {
  inc(value?: number): void
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
 *
 * Label values come from the app's own configuration (paths, subscribed event
 * names, error codes), never from what a client sends, so series stay bounded.
 * Child series are cached per label set: a frame costs a Map lookup and an add.
 */
export class PrometheusObserver implements GatewayObserver {
  readonly registry: Registry
  readonly #connections: Gauge
  readonly #opened: Counter
  readonly #closed: Counter
  readonly #upgradesRejected: Counter
  readonly #framesIn: Counter
  readonly #bytesIn: Counter
  readonly #framesOut: Counter
  readonly #bytesOut: Counter
  readonly #writes: Counter
  readonly #latency: Histogram
  readonly #handled: Counter
  readonly #errors: Counter
  readonly #overflows: Counter
  readonly #brokerUp: Gauge
  readonly #brokerState: Gauge
  readonly #reconnects: Counter
  readonly #children = new Map<string, Child>()
  readonly #latencyChildren = new Map<string, { observe(value: number): void }>()
  readonly #connectionChildren = new Map<string, { inc(): void; dec(): void }>()
  readonly #everConnected = new Set<string>()

  constructor(options: PrometheusObserverOptions = {}) {
    const registry = options.registry ?? defaultRegistry
    const prefix = options.prefix ?? 'gangway_'
    this.registry = registry
    const counter = (name: string, help: string, labelNames: string[]) => metric(registry, prefix + name, () => new Counter({ name: prefix + name, help, labelNames, registers: [registry] }))
    const gauge = (name: string, help: string, labelNames: string[]) => metric(registry, prefix + name, () => new Gauge({ name: prefix + name, help, labelNames, registers: [registry] }))
    this.#connections = gauge('connections', 'Open WebSocket connections', ['gateway', 'namespace'])
    this.#opened = counter('connections_opened_total', 'WebSocket connections accepted', ['gateway'])
    this.#closed = counter('connections_closed_total', 'WebSocket connections closed, by close code', ['gateway', 'code'])
    this.#upgradesRejected = counter('upgrades_rejected_total', 'Upgrade requests refused before the handshake, by HTTP status', ['gateway', 'status'])
    this.#framesIn = counter('frames_received_total', 'Frames received from clients', ['gateway'])
    this.#bytesIn = counter('received_bytes_total', 'Payload bytes received from clients', ['gateway'])
    this.#framesOut = counter('frames_sent_total', 'Frames written to clients', ['gateway'])
    this.#bytesOut = counter('sent_bytes_total', 'Bytes written to clients, frame headers included', ['gateway'])
    this.#writes = counter('socket_writes_total', 'Socket writes (several frames ready together go out in one write)', ['gateway'])
    this.#latency = metric(registry, `${prefix}handler_duration_seconds`, () =>
      new Histogram({
        name: `${prefix}handler_duration_seconds`,
        help: 'Time from dispatch to the reply or error frame: guards, validation and handler',
        labelNames: ['gateway', 'event'],
        buckets: [...(options.buckets ?? DEFAULT_LATENCY_BUCKETS)],
        registers: [registry],
      }),
    )
    this.#handled = counter('messages_handled_total', 'Frames dispatched to a handler, by outcome (ok or the error code sent)', ['gateway', 'event', 'outcome'])
    this.#errors = counter('errors_total', 'Error frames sent, by code', ['gateway', 'code'])
    this.#overflows = counter('outbox_overflows_total', 'Outboxes that filled up (slow clients)', ['gateway'])
    this.#brokerUp = gauge('broker_up', 'Whether a broker connection is connected (1) or not (0)', ['component'])
    this.#brokerState = gauge('broker_state', 'The current state of a broker connection (1 for the current state)', ['component', 'state'])
    this.#reconnects = counter('broker_reconnects_total', 'Broker connections re-established after being lost', ['component'])
  }

  connectionOpened(gateway: string, namespace: string): void {
    this.#connection(gateway, namespace).inc()
    this.#child(this.#opened, gateway).inc()
  }

  connectionClosed(gateway: string, namespace: string, code: number): void {
    this.#connection(gateway, namespace).dec()
    this.#child(this.#closed, gateway, String(code)).inc()
  }

  upgradeRejected(gateway: string, status: number): void {
    this.#child(this.#upgradesRejected, gateway, String(status)).inc()
  }

  frameReceived(gateway: string, bytes: number): void {
    this.#child(this.#framesIn, gateway).inc()
    this.#child(this.#bytesIn, gateway).inc(bytes)
  }

  framesSent(gateway: string, frames: number, bytes: number): void {
    this.#child(this.#writes, gateway).inc()
    this.#child(this.#framesOut, gateway).inc(frames)
    this.#child(this.#bytesOut, gateway).inc(bytes)
  }

  handled(gateway: string, event: string, outcome: string, durationMs: number): void {
    const key = `${gateway}\0${event}`
    let latency = this.#latencyChildren.get(key)
    if (!latency) this.#latencyChildren.set(key, (latency = this.#latency.labels(gateway, event)))
    latency.observe(durationMs / 1000)
    this.#child(this.#handled, gateway, event, outcome).inc()
    if (outcome !== 'ok') this.#child(this.#errors, gateway, outcome).inc()
  }

  rejected(gateway: string, code: string): void {
    this.#child(this.#errors, gateway, code).inc()
  }

  outboxOverflow(gateway: string): void {
    this.#child(this.#overflows, gateway).inc()
  }

  brokerState(component: string, state: BrokerState): void {
    this.#brokerUp.labels(component).set(state === 'connected' ? 1 : 0)
    for (const each of BROKER_STATES) this.#brokerState.labels(component, each).set(each === state ? 1 : 0)
    if (state === 'connected') {
      if (this.#everConnected.has(component)) this.#reconnects.labels(component).inc()
      else this.#everConnected.add(component)
    }
  }

  #child(metric: Counter, ...labels: string[]): Child {
    const key = `${(metric as unknown as { name: string }).name}\0${labels.join('\0')}`
    let child = this.#children.get(key)
    if (!child) this.#children.set(key, (child = metric.labels(...labels)))
    return child
  }

  #connection(gateway: string, namespace: string): { inc(): void; dec(): void } {
    const key = `${gateway}\0${namespace}`
    let child = this.#connectionChildren.get(key)
    if (!child) this.#connectionChildren.set(key, (child = this.#connections.labels(gateway, namespace)))
    return child
  }
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
