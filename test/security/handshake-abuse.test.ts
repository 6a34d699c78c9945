// Guarantee: abusive upgrade requests are answered with a real HTTP status (or dropped by a
// timeout) before any WebSocket exists, quickly, without a crash, while other clients connect.
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { test } from 'node:test'
import { bearerToken, defineGateway } from '../../src/index.js'
import { eventually, sleep, startGateway } from '../helpers/start-gateway.js'
import { rawRequest, requestText, upgradeHeaders, type RawResponse } from './raw-http.js'

const echo = defineGateway({ path: '/ws' }).subscribe('echo', (data) => data)
// A guard that reads the subprotocol list, so our own parser sees the hostile header too.
const readsProtocols = defineGateway({ path: '/ws', connectionGuards: [(h) => (bearerToken(h) === undefined ? true : { id: 'token-holder' })] }).subscribe('echo', (d) => d)

async function upgrade(port: number, extra: Array<[string, string]> = [], options: { localAddress?: string; before?: Array<[string, string]>; timeoutMs?: number } = {}): Promise<RawResponse> {
  return rawRequest(port, requestText('/ws', [...(options.before ?? []), ...upgradeHeaders(port), ...extra]), options)
}

/**
 * The CPU time (user + system, this process: the gateway and the raw client both live here) an upgrade
 * takes. The bounds below are about CPU — "not seconds of work", as a ReDoS would take — and wall time on
 * a busy machine also counts the time the process was kept off the CPU.
 */
async function withCpu<T>(work: () => Promise<T>): Promise<{ value: T; cpuMs: number }> {
  const before = process.cpuUsage()
  const value = await work()
  const used = process.cpuUsage(before)
  return { value, cpuMs: (used.user + used.system) / 1000 }
}

/** An upgrade request that sends a header line every 200 ms and never ends; resolves with how it was dropped. */
function slowLoris(port: number, i: number, started: number): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.4' })
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (received += chunk))
    socket.on('error', () => {})
    socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n`)
    const drip = setInterval(() => socket.write(`X-Slow-${i}: 1\r\n`), 200)
    const limit = setTimeout(() => {
      socket.destroy()
      reject(new Error('a slow-loris request was still open after 15 s'))
    }, 15_000)
    socket.on('close', () => {
      clearInterval(drip)
      clearTimeout(limit)
      resolve({ status: Number(received.split(' ')[1] ?? 0) || 0, ms: performance.now() - started })
    })
  })
}

async function stillServing(gw: Awaited<ReturnType<typeof startGateway>>): Promise<void> {
  const socket = await gw.connect()
  assert.equal((await socket.request('echo', 'alive')).data, 'alive')
  await socket.close()
}

test('origin: the default policy is same-origin — foreign, "null" and look-alike origins get 403, a missing Origin passes', async (t) => {
  const gw = await startGateway(t, { gateways: [echo] })
  const self = `http://127.0.0.1:${gw.port}`
  const status = async (origin?: string) => (await upgrade(gw.port, origin === undefined ? [] : [['Origin', origin]])).status
  const accepted = await upgrade(gw.port, [['Origin', self]])
  assert.equal(accepted.status, 101)
  accepted.socket.destroy()
  for (const origin of ['https://evil.example', 'null', `${self}.evil.example`, `http://127.0.0.1:${gw.port + 1}`, `ftp://127.0.0.1:${gw.port}`, 'not a url', '']) {
    assert.equal(await status(origin), 403, `Origin: ${origin}`)
  }
  // The scheme is not compared: one host:port serves one scheme, and behind a TLS proxy the server cannot tell.
  const noOrigin = await upgrade(gw.port)
  assert.equal(noOrigin.status, 101, 'non-browser clients send no Origin')
  noOrigin.socket.destroy()
})

test('origin: a missing Origin is refused with allowMissingOrigin: false; an allowlist admits exact matches only', async (t) => {
  const gw = await startGateway(t, { gateways: [echo], origins: ['https://app.example.com'], allowMissingOrigin: false })
  assert.equal((await upgrade(gw.port)).status, 403)
  assert.equal((await upgrade(gw.port, [['Origin', 'null']])).status, 403)
  assert.equal((await upgrade(gw.port, [['Origin', 'https://app.example.com.evil.example']])).status, 403)
  const ok = await upgrade(gw.port, [['Origin', 'https://app.example.com']])
  assert.equal(ok.status, 101)
  ok.socket.destroy()
})

test('Sec-WebSocket-Protocol with 2,000 entries is answered at once: gangway.v1 echoed, duplicates refused with 400', async (t) => {
  const gw = await startGateway(t, { gateways: [readsProtocols] })
  const many = Array.from({ length: 2000 }, (_, i) => `p${i}`)
  const { value: accepted, cpuMs: acceptedCpu } = await withCpu(() => upgrade(gw.port, [['Sec-WebSocket-Protocol', [...many, 'gangway.v1'].join(', ')]]))
  assert.equal(accepted.status, 101)
  assert.match(accepted.head, /\r\nSec-WebSocket-Protocol: gangway\.v1(\r\n|$)/i)
  accepted.socket.destroy()
  const { value: duplicates, cpuMs: duplicatesCpu } = await withCpu(() => upgrade(gw.port, [['Sec-WebSocket-Protocol', Array.from({ length: 2000 }, () => 'dup').join(',')]]))
  assert.equal(duplicates.status, 400)
  // Generous bounds: the point is "not seconds of CPU", a ReDoS takes far longer.
  assert.ok(acceptedCpu < 1000 && duplicatesCpu < 1000, `${acceptedCpu} ms, ${duplicatesCpu} ms of CPU`)
  t.diagnostic(`2,000 protocols: ${acceptedCpu.toFixed(1)} ms CPU (${accepted.elapsedMs.toFixed(1)} ms wall); 2,000 duplicates: ${duplicatesCpu.toFixed(1)} ms CPU (${duplicates.elapsedMs.toFixed(1)} ms wall)`)
  await stillServing(gw)
})

test('CVE-2021-32640 shape: "b" + 32,000 spaces + "x" gets 431; the 15,000-space variant that fits gets 400, both fast', async (t) => {
  const gw = await startGateway(t, { gateways: [readsProtocols] })
  const { value: huge, cpuMs: hugeCpu } = await withCpu(() => upgrade(gw.port, [['Sec-WebSocket-Protocol', 'b' + ' '.repeat(32_000) + 'x']]))
  assert.equal(huge.status, 431, 'over the 16 KiB header limit')
  const { value: fits, cpuMs: fitsCpu } = await withCpu(() => upgrade(gw.port, [['Sec-WebSocket-Protocol', 'b' + ' '.repeat(15_000) + 'x']]))
  assert.equal(fits.status, 400, 'reaches ws, which refuses the malformed list')
  assert.ok(hugeCpu < 1000 && fitsCpu < 1000, `${hugeCpu} ms, ${fitsCpu} ms of CPU`)
  t.diagnostic(`32,000 spaces: ${hugeCpu.toFixed(1)} ms CPU (${huge.elapsedMs.toFixed(1)} ms wall); 15,000 spaces: ${fitsCpu.toFixed(1)} ms CPU (${fits.elapsedMs.toFixed(1)} ms wall)`)
  await stillServing(gw)
})

test('CVE-2024-37890 shape: 2,100 headers before the upgrade headers are refused without a crash', async (t) => {
  const gw = await startGateway(t, { gateways: [echo] })
  const filler = Array.from({ length: 2100 }, (_, i): [string, string] => [`a${i}`, 'a'])
  const response = await upgrade(gw.port, [], { before: filler })
  // Node keeps the first 2,000 headers (maxHeadersCount): the Sec-WebSocket-Key is lost, ws answers 400.
  assert.equal(response.status, 400)
  assert.equal(gw.app.connectionCount, 0)
  await stillServing(gw)
})

test('a 20 KB header gets 431 from the HTTP server', async (t) => {
  const gw = await startGateway(t, { gateways: [echo] })
  assert.equal((await upgrade(gw.port, [['X-Padding', 'p'.repeat(20 * 1024)]])).status, 431)
  assert.equal((await upgrade(gw.port, [['Cookie', `session=${'c'.repeat(20 * 1024)}`]])).status, 431)
  await stillServing(gw)
})

test('slow-loris: upgrade requests that never finish their headers are dropped after headersTimeoutMs', { timeout: 30_000 }, async (t) => {
  const gw = await startGateway(t, { gateways: [echo], headersTimeoutMs: 1000 })
  const started = performance.now()
  // 50 requests from one address, each trickling a header line every 200 ms, never ending.
  const lorises = Array.from({ length: 50 }, (_, i) => slowLoris(gw.port, i, started))
  await sleep(100)
  await stillServing(gw) // others connect while the lorises hang
  const results = await Promise.all(lorises)
  for (const { status, ms } of results) {
    assert.ok(status === 408 || status === 0, `dropped with ${status}`)
    assert.ok(ms < 5000, `dropped after ${ms.toFixed(0)} ms, not Node's 60 s`)
  }
  t.diagnostic(`50 slow-loris requests dropped after ${Math.max(...results.map((r) => r.ms)).toFixed(0)} ms at most (headersTimeoutMs 1000), status ${results[0]!.status}`)
  await stillServing(gw)
})

test('connection flood from one address: over maxConnectionsPerAddress gets 429 before the upgrade; other addresses connect', { timeout: 30_000 }, async (t) => {
  const gw = await startGateway(t, { gateways: [echo], maxConnectionsPerAddress: 50 })
  // The statuses are what is checked, not how fast 300 parallel handshakes are answered on a busy machine.
  const flood = await Promise.all(Array.from({ length: 300 }, () => upgrade(gw.port, [], { localAddress: '127.0.0.2', timeoutMs: 30_000 })))
  const held = flood.filter((r) => r.status === 101)
  const refused = flood.filter((r) => r.status === 429)
  assert.equal(held.length, 50, 'exactly the limit is admitted')
  assert.equal(refused.length, 250, 'the rest get 429')
  assert.match(refused[0]!.head, /\r\nRetry-After: 1/i)
  await eventually(() => gw.app.connectionCount === 50, 5000, '50 connections')
  // Another address is unaffected.
  const other = await upgrade(gw.port, [], { localAddress: '127.0.0.3' })
  assert.equal(other.status, 101)
  other.socket.destroy()
  // Closing sockets frees their slots (a vanished peer too: destroy sends no close frame).
  for (const r of held.slice(0, 10)) r.socket.destroy()
  await eventually(() => gw.app.addressLimiter!.count('127.0.0.2') === 40, 5000, 'slots released')
  const again = await Promise.all(Array.from({ length: 15 }, () => upgrade(gw.port, [], { localAddress: '127.0.0.2' })))
  assert.deepEqual(again.map((r) => r.status).sort(), [...Array(10).fill(101), ...Array(5).fill(429)])
  for (const r of [...held, ...again]) r.socket.destroy()
  await eventually(() => gw.app.addressLimiter!.addresses === 0 && gw.app.connectionCount === 0, 5000, 'nothing held')
})

test('upgrade requests still in the guards count against the address, so a flood cannot pile up pending handshakes', async (t) => {
  const hanging = defineGateway({ path: '/ws', connectionGuards: [() => new Promise(() => {})] })
  const gw = await startGateway(t, { gateways: [hanging], maxConnectionsPerAddress: 5, handshakeTimeoutMs: 500 })
  const flood = await Promise.all(Array.from({ length: 20 }, () => upgrade(gw.port, [], { localAddress: '127.0.0.5' })))
  const statuses = flood.map((r) => r.status).sort()
  assert.deepEqual(statuses, [...Array(15).fill(429), ...Array(5).fill(503)])
  await eventually(() => gw.app.addressLimiter!.addresses === 0, 5000, 'released after the 503s')
})

test('handshake flood from one address: over handshakeRateLimit gets 429 with Retry-After before any guard runs; other addresses connect', async (t) => {
  let guardRuns = 0
  const guarded = defineGateway({ path: '/ws', connectionGuards: [() => (guardRuns++, true)] }).subscribe('echo', (d) => d)
  // A refill this slow cannot add a token while the test runs, however loaded the machine is.
  const gw = await startGateway(t, { gateways: [guarded], handshakeRateLimit: { perSecond: 0.01, burst: 20 } })
  const flood = await Promise.all(Array.from({ length: 60 }, () => upgrade(gw.port, [], { localAddress: '127.0.0.8' })))
  const accepted = flood.filter((r) => r.status === 101)
  const refused = flood.filter((r) => r.status === 429)
  assert.equal(accepted.length, 20, 'the burst is admitted')
  assert.equal(refused.length, 40, 'the rest get 429')
  assert.equal(guardRuns, 20, 'refused handshakes never reach the connection guards')
  const retryAfter = Number(/\r\nRetry-After: (\d+)/i.exec(refused[0]!.head)?.[1])
  assert.ok(retryAfter >= 1 && retryAfter <= 100, `Retry-After: ${retryAfter}`)
  // Closing connections gives nothing back: the limit is on handshakes started, not on sockets held.
  for (const r of accepted) r.socket.destroy()
  await eventually(() => gw.app.connectionCount === 0, 5000, 'connections closed')
  assert.equal((await upgrade(gw.port, [], { localAddress: '127.0.0.8' })).status, 429)
  const other = await upgrade(gw.port, [], { localAddress: '127.0.0.9' })
  assert.equal(other.status, 101, 'another address is unaffected')
  other.socket.destroy()
})
