import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createGateway } from 'gangway'
import { ChatGateway } from './chat-gateway.js'
import { demoService } from './demo-service.js'
import { describeTransport, transportFromUrl } from './bridge-transport.js'

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

// `ask` is forwarded to `demo.ask` over TRANSPORT_URL's broker (`npm run worker` answers it there);
// with no TRANSPORT_URL the transport is in-process and this process hosts `demo.ask` itself.
const transport = await transportFromUrl()
const inProcessService = process.env.TRANSPORT_URL ? undefined : demoService(transport)
await inProcessService?.listen()
const app = createGateway({ gateways: [new ChatGateway()], hello: true, transport })
app.attach(http)

http.listen(port, () => {
  console.log(`gangway demo: chat at http://localhost:${port}/  gateway at ws://localhost:${port}/ws  bridge: ${describeTransport()}`)
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
