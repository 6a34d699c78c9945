import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { freePort } from './helpers/free-port.js'
import { TestSocket } from './helpers/test-socket.js'

const demo = fileURLToPath(new URL('../demo/server.js', import.meta.url))


test('the demo: page, echo, join, publish to room members; SIGTERM sends 1001 and exits 0', { timeout: 30_000 }, async (t) => {
  const port = await freePort()
  const child = spawn(process.execPath, [demo], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => child.kill('SIGKILL'))
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  while (!output.includes('gangway demo')) await once(child.stdout, 'data')

  const page = await fetch(`http://127.0.0.1:${port}/`)
  assert.equal(page.status, 200)
  assert.match(await page.text(), /gangway chat/)

  const url = `ws://127.0.0.1:${port}/ws`
  const [alice, bob, carol] = await Promise.all([TestSocket.connect(url), TestSocket.connect(url), TestSocket.connect(url)])
  assert.equal((await alice.nextEvent('hello')).data.protocol, 'gangway.v1')
  assert.deepEqual(await alice.request('echo', { any: ['thing', 1] }), { event: 'echo', data: { any: ['thing', 1] }, id: 1 })
  assert.deepEqual((await alice.request('join', { room: 'lobby' })).data, { room: 'lobby' })
  assert.deepEqual((await bob.request('join', { room: 'lobby' })).data, { room: 'lobby' })
  assert.equal((await carol.request('join', { room: 42 })).error?.code, 'INVALID_PAYLOAD')
  await alice.request('publish', { room: 'lobby', payload: { name: 'alice', text: 'hi' } })
  // Every demo room keeps a history: a push carries its room, offset and epoch (docs/continuity.md).
  const pushed = (await bob.nextEvent('message')) as Awaited<ReturnType<TestSocket['nextEvent']>> & { epoch?: string }
  assert.deepEqual(pushed, { event: 'message', data: { name: 'alice', text: 'hi' }, room: 'lobby', offset: 1, epoch: pushed.epoch })
  assert.equal(typeof pushed.epoch, 'string')
  assert.deepEqual(await alice.nextEvent('message'), pushed)
  assert.deepEqual((await alice.request('history', { room: 'lobby' })).data, { room: 'lobby', epoch: pushed.epoch, offset: 1, messages: [{ offset: 1, event: 'message', data: { name: 'alice', text: 'hi' } }] })
  assert.equal(await carol.quiet(100, (f) => f.event === 'message'), true)
  assert.deepEqual((await bob.request('leave', { room: 'lobby' })).data, { room: 'lobby' })

  child.kill('SIGTERM')
  const [code] = (await once(child, 'exit')) as [number]
  assert.equal(code, 0)
  for (const socket of [alice, bob, carol]) assert.equal((await socket.closed).code, 1001)
})

test('npm start and npm run worker rebuild only what changed: right after a build, dist/ counts as fresh', () => {
  // `node scripts/build-if-stale.mjs` runs before both; a worker started beside a running demo must not rebuild
  // (and so delete) the dist/ the demo runs from. `npm test` has just built, so nothing is due.
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const check = spawnSync(process.execPath, [join(root, 'scripts/build-if-stale.mjs'), '--check'], { cwd: root, encoding: 'utf8' })
  assert.equal(check.status, 0, `a build would run: ${check.stdout}${check.stderr}`)
})
