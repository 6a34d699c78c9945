import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import { createClient, type StatusChange, type WebSocketConstructor } from '../src/client/index.js'
import { GatewayError } from '../src/index.js'
import { ChildServer, freePort } from './helpers/child-server.js'
import type { clientTestGateway } from './helpers/client-test-gateway.js'
import { eventually } from './helpers/start-gateway.js'

// A node that freezes (SIGSTOP: its sockets stay open, nothing is answered, no close frame ever
// comes) must be noticed by the client's own heartbeat within intervalMs + timeoutMs, and the
// client must fail over to another node — in Node and in a browser, which cannot send pings.
const root = fileURLToPath(new URL('../..', import.meta.url))
const serverScript = fileURLToPath(new URL('./helpers/client-test-server.js', import.meta.url))
const CHROMIUM = '/usr/bin/chromium'
// A second to answer a probe: a node that is merely slow on a loaded machine is not taken for frozen.
const HEARTBEAT = { intervalMs: 250, timeoutMs: 1000 }

async function twoNodes(t: TestContext, env: Record<string, string> = {}) {
  const ports = [await freePort(), await freePort()]
  const nodes = await Promise.all(ports.map((port) => ChildServer.start(serverScript, { PORT: String(port), ...env }, /listening (\d+)/)))
  t.after(async () => {
    for (const node of nodes) {
      node.child.kill('SIGCONT')
      await node.kill()
    }
  })
  return nodes.map((node) => ({ node, url: `ws://127.0.0.1:${node.port}/ws` }))
}

const LAG_RESOLUTION_MS = 10

/**
 * How late a timer of ours could have fired meanwhile on this machine: the largest event-loop
 * delay seen, plus what the monitor cannot see (delays under its resolution, for each of the
 * probe's two timers, and their millisecond rounding).
 */
function timerLag() {
  const histogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS })
  histogram.enable()
  return () => {
    histogram.disable()
    return histogram.max / 1e6 + 2 * (LAG_RESOLUTION_MS + 1)
  }
}

test('Node: a frozen node is given up within intervalMs + timeoutMs (close 1006 "heartbeat timeout", in-flight DISCONNECTED) and the client fails over with its rooms', async (t) => {
  const [a, b] = await twoNodes(t)
  const chosen: string[] = []
  const client = createClient<typeof clientTestGateway>(
    () => {
      const url = chosen.length % 2 === 0 ? a!.url : b!.url
      chosen.push(url)
      return url
    },
    { heartbeat: HEARTBEAT, reconnect: { initialDelayMs: 20, maxDelayMs: 100 }, requestTimeoutMs: 30_000 },
  )
  t.after(() => client.close())
  const statuses: StatusChange[] = []
  let droppedAt = 0
  client.onStatus((change) => {
    statuses.push(change)
    if (change.status === 'reconnecting' && droppedAt === 0) droppedAt = performance.now()
  })
  await client.whenOpen()
  await client.join('lobby')
  assert.deepEqual(await client.request('rooms'), ['lobby'])
  const held = client.request('hang').then(
    () => 'resolved',
    (error: unknown) => (error instanceof GatewayError ? error.code : String(error)),
  )
  await eventually(() => client.pending.inFlight === 1)

  assert.ok(!statuses.some((s) => s.status === 'reconnecting'), 'no node was given up before the freeze')
  const lag = timerLag()
  const frozenAt = performance.now()
  a!.node.child.kill('SIGSTOP')
  await eventually(() => statuses.some((s) => s.status === 'reconnecting'), 10_000, 'the frozen node given up')
  const detectedMs = droppedAt - frozenAt
  const allowance = HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs + lag()
  const drop = statuses.find((s) => s.status === 'reconnecting')!
  assert.equal(drop.code, 1006)
  assert.equal(drop.reason, 'heartbeat timeout')
  assert.equal(await held, 'DISCONNECTED', 'the request in flight on the frozen node has its one outcome')
  assert.ok(detectedMs <= allowance, `noticed after ${detectedMs.toFixed(0)} ms; bound ${allowance.toFixed(0)} ms (intervalMs + timeoutMs + the event-loop delay seen)`)
  t.diagnostic(`frozen node noticed after ${detectedMs.toFixed(0)} ms (bound ${HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs} ms + ${(allowance - HEARTBEAT.intervalMs - HEARTBEAT.timeoutMs).toFixed(0)} ms loop delay)`)

  await client.whenOpen()
  assert.equal(chosen.at(-1), b!.url, 'reconnected to the other node')
  assert.deepEqual(await client.request('rooms'), ['lobby'], 'rooms re-joined on the other node')
  assert.equal(await client.request('echo', 'still here'), 'still here')
})

test('Node: an idle connection to a live node stays open: every probe is answered, nothing is reported', async (t) => {
  const [a] = await twoNodes(t)
  let probes = 0
  // The Node entry's WebSocket (ws), counting the heartbeat frames the client sends.
  const { default: WebSocket } = await import('ws')
  class CountingWebSocket extends WebSocket {
    override send(data: unknown, ...rest: unknown[]): void {
      if (typeof data === 'string' && data.includes('"$ping"')) probes++
      ;(super.send as (...args: unknown[]) => void)(data, ...rest)
    }
  }
  const client = createClient<typeof clientTestGateway>(a!.url, { heartbeat: { intervalMs: 50, timeoutMs: 5000 }, WebSocket: CountingWebSocket as unknown as WebSocketConstructor })
  t.after(() => client.close())
  await client.whenOpen()
  const statuses: StatusChange[] = []
  client.onStatus((change) => statuses.push(change))
  await eventually(() => probes >= 10, 20_000, 'ten heartbeat rounds on an idle connection')
  assert.deepEqual(statuses, [])
  assert.equal(client.status, 'open')
  assert.equal(await client.request('echo', 1), 1)
})

test('Browser: the bundled client in Chromium notices a frozen node and fails over', async (t) => {
  if (!existsSync(CHROMIUM)) {
    const how = `Debian's chromium is not installed at ${CHROMIUM}: install it with "apt-get install -y chromium" (.ci/run does this in CI)`
    if (process.env.CI === 'true') assert.fail(how)
    return t.skip(how)
  }
  const [a, b] = await twoNodes(t, { ANY_ORIGIN: '1' })
  const bundle = await build({
    stdin: {
      contents: `import { createClient } from 'gangway-ws/client'
        const urls = ${JSON.stringify([a!.url, b!.url])}
        let attempt = 0
        const client = createClient(() => urls[attempt++ % 2], { heartbeat: ${JSON.stringify(HEARTBEAT)}, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } })
        window.statuses = []
        client.onStatus((change) => window.statuses.push({ status: change.status, code: change.code, reason: change.reason }))
        window.rooms = () => client.request('rooms')
        await client.whenOpen()
        await client.join('lobby')
        window.ready = true`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
  })
  const page = `<!doctype html><script type="module">${bundle.outputFiles[0]!.text}</script>`
  const http = createServer((_request, response) => response.writeHead(200, { 'Content-Type': 'text/html' }).end(page))
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => http.close(() => resolve())))

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  })
  t.after(() => browser.close())
  const tab = await browser.newPage()
  const errors: string[] = []
  tab.on('pageerror', (error) => errors.push(error.message))
  await tab.goto(`http://127.0.0.1:${(http.address() as { port: number }).port}/`, { timeout: 15_000 })
  await tab.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true, undefined, { timeout: 15_000 })

  a!.node.child.kill('SIGSTOP')
  await tab.waitForFunction(
    () => {
      const statuses = (globalThis as { statuses?: Array<{ status: string }> }).statuses ?? []
      const dropped = statuses.findIndex((s) => s.status === 'reconnecting')
      return dropped !== -1 && statuses.slice(dropped).some((s) => s.status === 'open')
    },
    undefined,
    { timeout: 15_000 },
  )
  const statuses = (await tab.evaluate(() => (globalThis as { statuses?: unknown }).statuses)) as Array<{ status: string; code?: number; reason?: string }>
  const drop = statuses.find((s) => s.status === 'reconnecting')!
  assert.deepEqual({ code: drop.code, reason: drop.reason }, { code: 1006, reason: 'heartbeat timeout' })
  assert.deepEqual(await tab.evaluate(() => (globalThis as unknown as { rooms(): Promise<unknown> }).rooms()), ['lobby'], 'the room re-joined on the other node')
  assert.deepEqual(errors, [])
  await b!.node.kill()
})
