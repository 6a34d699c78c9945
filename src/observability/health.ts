import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BrokerState } from '../broker/broker-state.js'

/** What a health check reads of a gateway app (a `GatewayApp`, or `GangwayHost.app` in Nest). */
export interface HealthSource {
  readonly draining: boolean
  readonly connectionCount: number
  readonly brokers: ReadonlyMap<string, BrokerState>
}

/** A health report, as served by `healthHandler`. */
export interface HealthReport {
  /** `ready`; `degraded` when a broker is not connected; `draining` once `close()` was called. */
  readonly status: 'ready' | 'degraded' | 'draining'
  /** Whether a load balancer should send this node new connections. */
  readonly ready: boolean
  readonly draining: boolean
  /** Open connections on this node. */
  readonly connections: number
  /** The latest state of every broker connection, by component. */
  readonly brokers: Readonly<Record<string, BrokerState>>
}

/** Options of `healthReport` and `healthHandler`. */
export interface HealthOptions {
  /** Report not ready while a broker is not connected. @default true */
  requireBrokers?: boolean
}

/** The app's health now. */
export function healthReport(app: HealthSource, options: HealthOptions = {}): HealthReport {
  const brokers: Record<string, BrokerState> = {}
  let brokersUp = true
  for (const [component, state] of app.brokers) {
    brokers[component] = state
    if (state !== 'connected') brokersUp = false
  }
  const draining = app.draining
  const status = draining ? 'draining' : brokersUp ? 'ready' : 'degraded'
  const ready = !draining && (brokersUp || options.requireBrokers === false)
  return { status, ready, draining, connections: app.connectionCount, brokers }
}

/**
 * An HTTP handler for a readiness probe: answers the report as JSON with 200
 * when ready and 503 otherwise (draining, or a broker down), so a load
 * balancer stops sending new clients to a node that is shutting down.
 *
 * @example
 * const health = healthHandler(app)
 * http.on('request', (req, res) => { if (req.url === '/health') health(req, res) })
 */
export function healthHandler(app: HealthSource, options: HealthOptions = {}): (request: IncomingMessage, response: ServerResponse) => void {
  return (_request, response) => {
    const report = healthReport(app, options)
    response.writeHead(report.ready ? 200 : 503, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
    response.end(JSON.stringify(report))
  }
}
