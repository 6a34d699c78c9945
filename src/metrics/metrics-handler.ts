import type { IncomingMessage, ServerResponse } from 'node:http'
import { register as defaultRegistry, type Registry } from 'prom-client'

/**
 * An HTTP handler serving a registry in Prometheus's text format, for a
 * `/metrics` route on the server the gateways are mounted on (or any other).
 *
 * @param registry @default prom-client's global `register`
 */
export function metricsHandler(registry: Registry = defaultRegistry): (request: IncomingMessage, response: ServerResponse) => void {
  return (_request, response) => {
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'Content-Type': registry.contentType })
        response.end(text)
      },
      () => {
        response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
        response.end('metrics collection failed')
      },
    )
  }
}
