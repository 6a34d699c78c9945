import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { asyncApiDocument, createGateway, healthHandler, type Adapter, type HandshakeContext } from 'gangway-ws'
import { metricsHandler, prometheusObserver } from 'gangway-ws/metrics'
import { asyncApiOptions } from './chat-asyncapi.js'
import { ChatGateway } from './chat-gateway.js'
import { demoService } from './demo-service.js'
import { describeTransport, transportFromUrl } from './bridge-transport.js'

const port = Number(process.env.PORT ?? 3000)

// The page's HTML comes from the source tree; its script is the browser bundle `npm run build` makes
// (scripts/bundle-demo.mjs bundles demo/public/chat.ts with gangway-ws/client). A fixed list: no path from the URL reaches the disk.
const files: Record<string, { path: string; type: string }> = {
  '/': { path: '../../demo/public/index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { path: '../../demo/public/index.html', type: 'text/html; charset=utf-8' },
  '/chat.js': { path: './public/chat.js', type: 'text/javascript; charset=utf-8' },
  '/chat.js.map': { path: './public/chat.js.map', type: 'application/json; charset=utf-8' },
}

/**
 * CLUSTER_URL=redis://… or nats://… makes this process one node of a cluster:
 * demo processes on other ports with the same CLUSTER_URL share rooms. Unset: in memory.
 */
async function clusterFromEnv(url: string | undefined): Promise<Adapter | undefined> {
  if (!url) return undefined
  const scheme = new URL(url).protocol
  // Imported on demand: a demo without a cluster never loads a broker client.
  const cluster =
    scheme === 'redis:' || scheme === 'rediss:'
      ? (await import('gangway-ws/redis')).redisCluster(url)
      : scheme === 'nats:' || scheme === 'tls:'
        ? (await import('gangway-ws/nats')).natsCluster(url)
        : undefined
  if (!cluster) throw new Error(`CLUSTER_URL must start with redis://, rediss:// or nats://, got ${scheme}//…`)
  cluster.on('state', (state) => console.log(`cluster (${scheme.slice(0, -1)}): ${state}`))
  return cluster
}

const adapter = await clusterFromEnv(process.env.CLUSTER_URL)
// `ask` is forwarded to `demo.ask` over TRANSPORT_URL's broker (`npm run worker` answers it there);
// with no TRANSPORT_URL the transport is in-process and this process hosts `demo.ask` itself.
const transport = await transportFromUrl()
const inProcessService = process.env.TRANSPORT_URL ? undefined : demoService(transport)
await inProcessService?.listen()
const metrics = prometheusObserver()
/**
 * The demo's user: `?user=<id>`, a visitor id the chat page keeps in localStorage, so the tabs of
 * one browser are one member of a room's presence. A demo trusts it; a real app takes the user
 * from a token its connection guard checks (docs/guards-and-auth.md).
 */
const visitor = (handshake: HandshakeContext) => {
  const user = handshake.query.get('user')
  return user !== null && /^[\w-]{1,64}$/.test(user) ? user : true
}
/**
 * Every chat room keeps its last 500 messages for an hour: a page that lost its connection gets what it missed
 * when it comes back (docs/continuity.md). The store follows the cluster: memory here, Redis Streams or a
 * JetStream stream with CLUSTER_URL.
 */
const history = { rooms: [{ match: '*', size: 500, ttlMs: 60 * 60_000 }] }
const app = createGateway({ gateways: [new ChatGateway()], hello: true, adapter, transport, history, observers: [metrics], connectionGuards: [visitor] })
const asyncapi = JSON.stringify(asyncApiDocument(app, asyncApiOptions), null, 2)
const serveMetrics = metricsHandler(metrics.registry)
const serveHealth = healthHandler(app)

const http = createServer(async (request, response) => {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname
  if (request.method === 'GET' && path === '/asyncapi.json') {
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end(asyncapi)
    return
  }
  if (request.method === 'GET' && path === '/metrics') return serveMetrics(request, response)
  if (request.method === 'GET' && path === '/health') return serveHealth(request, response)
  const file = request.method === 'GET' ? files[path] : undefined
  if (file === undefined) {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found')
    return
  }
  try {
    const body = await readFile(fileURLToPath(new URL(file.path, import.meta.url)))
    response.writeHead(200, { 'Content-Type': file.type, 'Cache-Control': 'no-cache' }).end(body)
  } catch {
    response.writeHead(500, { 'Content-Type': 'text/plain' }).end('The page bundle is missing: run "npm run build"')
  }
})

app.attach(http)

http.listen(port, () => {
  // The bound port, not the requested one: PORT=0 picks a free port (tests rely on this line).
  const { port: bound } = http.address() as AddressInfo
  console.log(`gangway demo: chat at http://localhost:${bound}/  gateway at ws://localhost:${bound}/ws  (also /asyncapi.json, /metrics, /health)  bridge: ${describeTransport()}`)
})

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: draining connections`)
    await app.close()
    await inProcessService?.close()
    await transport.close()
    http.close(() => process.exit(0))
    http.closeAllConnections()
  })
}
