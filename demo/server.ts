import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createGateway, type Adapter } from 'gangway'
import { ChatGateway } from './chat-gateway.js'

const port = Number(process.env.PORT ?? 3000)
const page = fileURLToPath(new URL('../../demo/public/index.html', import.meta.url))

const http = createServer(async (request, response) => {
  if (request.method === 'GET' && (request.url === '/' || request.url === '/index.html')) {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    response.end(await readFile(page))
    return
  }
  response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found')
})

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
      ? (await import('gangway/redis')).redisCluster(url)
      : scheme === 'nats:' || scheme === 'tls:'
        ? (await import('gangway/nats')).natsCluster(url)
        : undefined
  if (!cluster) throw new Error(`CLUSTER_URL must start with redis://, rediss:// or nats://, got ${scheme}//…`)
  cluster.on('state', (state) => console.log(`cluster (${scheme.slice(0, -1)}): ${state}`))
  return cluster
}

const adapter = await clusterFromEnv(process.env.CLUSTER_URL)
const app = createGateway({ gateways: [new ChatGateway()], hello: true, adapter })
app.attach(http)

http.listen(port, () => {
  console.log(`gangway demo: chat at http://localhost:${port}/  gateway at ws://localhost:${port}/ws`)
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
