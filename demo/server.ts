import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createGateway } from 'gangway'
import { ChatGateway } from './chat-gateway.js'

const port = Number(process.env.PORT ?? 3000)

// The page's HTML comes from the source tree; its script is the browser bundle `npm run build` makes
// (scripts/bundle-demo.mjs bundles demo/public/chat.ts with gangway/client). A fixed list: no path from the URL reaches the disk.
const files: Record<string, { path: string; type: string }> = {
  '/': { path: '../../demo/public/index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { path: '../../demo/public/index.html', type: 'text/html; charset=utf-8' },
  '/chat.js': { path: './public/chat.js', type: 'text/javascript; charset=utf-8' },
  '/chat.js.map': { path: './public/chat.js.map', type: 'application/json; charset=utf-8' },
}

const http = createServer(async (request, response) => {
  const file = request.method === 'GET' ? files[new URL(request.url ?? '/', 'http://localhost').pathname] : undefined
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

const app = createGateway({ gateways: [new ChatGateway()], hello: true })
app.attach(http)

http.listen(port, () => {
  // The bound port, not the requested one: PORT=0 picks a free port (the browser test relies on this line).
  const { port: bound } = http.address() as { port: number }
  console.log(`gangway demo: chat at http://localhost:${bound}/  gateway at ws://localhost:${bound}/ws`)
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
