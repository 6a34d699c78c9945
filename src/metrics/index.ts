/**
 * `gangway-ws/metrics`: Prometheus metrics through prom-client, an optional peer
 * dependency needed only by this entry.
 *
 * @example
 * import { createServer } from 'node:http'
 * import { createGateway, healthHandler } from 'gangway-ws'
 * import { metricsHandler, prometheusObserver } from 'gangway-ws/metrics'
 *
 * const metrics = prometheusObserver()
 * const app = createGateway({ gateways: [new ChatGateway()], observers: [metrics] })
 * const serveMetrics = metricsHandler(metrics.registry)
 * const serveHealth = healthHandler(app)
 * const http = createServer((req, res) => {
 *   if (req.url === '/metrics') return serveMetrics(req, res)
 *   if (req.url === '/health') return serveHealth(req, res)
 *   res.writeHead(404).end()
 * })
 * app.attach(http)
 */
export { PrometheusObserver, prometheusObserver, DEFAULT_LATENCY_BUCKETS, type PrometheusObserverOptions } from './prometheus-observer.js'
export { metricsHandler } from './metrics-handler.js'
