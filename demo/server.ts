import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { asyncApiDocument, createGateway, healthHandler } from 'gangway'
import { metricsHandler, prometheusObserver } from 'gangway/metrics'
import { asyncApiOptions } from './chat-asyncapi.js'
import { ChatGateway } from './chat-gateway.js'

const port = Number(process.env.PORT ?? 3000)
const page = fileURLToPath(new URL('../../demo/public/index.html', import.meta.url))

const metrics = prometheusObserver()
const app = createGateway({ gateways: [new ChatGateway()], hello: true, observers: [metrics] })
const asyncapi = JSON.stringify(asyncApiDocument(app, asyncApiOptions), null, 2)
const serveMetrics = metricsHandler(metrics.registry)
const serveHealth = healthHandler(app)

const http = createServer(async (request, response) => {
  if (request.method === 'GET' && (request.url === '/' || request.url === '/index.html')) {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    response.end(await readFile(page))
    return
  }
  if (request.method === 'GET' && request.url === '/asyncapi.json') {
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end(asyncapi)
    return
  }
  if (request.method === 'GET' && request.url === '/metrics') return serveMetrics(request, response)
  if (request.method === 'GET' && request.url === '/health') return serveHealth(request, response)
  response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found')
})

app.attach(http)

http.listen(port, () => {
  const { port: bound } = http.address() as AddressInfo
  console.log(`gangway demo: chat at http://localhost:${bound}/  gateway at ws://localhost:${bound}/ws  (also /asyncapi.json, /metrics, /health)`)
})

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: draining connections`)
    await app.close()
    http.close(() => process.exit(0))
    http.closeAllConnections()
  })
}
