import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test, type TestContext } from 'node:test'
import { freePort, NATS_URL, REDIS_URL, requireBroker, waitFor } from './helpers/cluster-brokers.js'
import { PresenceWatch } from './helpers/presence-watch.js'
import { TestSocket } from './helpers/test-socket.js'

const server = fileURLToPath(new URL('../demo/server.js', import.meta.url))

/** Starts the demo (`npm start`'s program) on a free port with CLUSTER_URL; resolves once its cluster is connected. */
async function startDemo(t: TestContext, clusterUrl: string): Promise<number> {
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, [server], {
    env: { ...process.env, PORT: String(port), CLUSTER_URL: clusterUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.after(async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start: ${output}`)), 10_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk
      if (output.includes('gangway demo:') && /cluster \(\w+\): connected/.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}: ${output}`)))
  })
  return port
}

for (const [broker, url] of [
  ['Redis', REDIS_URL],
  ['NATS', NATS_URL],
] as const) {
  test(`two demo processes with the same CLUSTER_URL (${broker}) form one cluster`, async (t) => {
    if (!(await requireBroker(t, broker, url))) return
    const [portA, portB] = await Promise.all([startDemo(t, url), startDemo(t, url)])
    const alice = await TestSocket.connect(`ws://127.0.0.1:${portA}/ws`)
    const bob = await TestSocket.connect(`ws://127.0.0.1:${portB}/ws`)
    t.after(() => {
      alice.ws.terminate()
      bob.ws.terminate()
    })
    const room = `demo-${process.pid}-${broker}`
    assert.deepEqual((await alice.request('join', { room })).data, { room })
    assert.deepEqual((await bob.request('join', { room })).data, { room })

    await bob.request('publish', { room, payload: { text: 'hello from B' } })
    assert.deepEqual((await alice.nextEvent('message')).data, { text: 'hello from B' })
    assert.deepEqual((await bob.nextEvent('message')).data, { text: 'hello from B' })
    await alice.request('publish', { room, payload: { text: 'hello from A' } })
    assert.deepEqual((await bob.nextEvent('message')).data, { text: 'hello from A' })
    assert.deepEqual((await alice.nextEvent('message')).data, { text: 'hello from A' })
    assert.ok(await alice.quiet(200, (f) => f.event === 'message'), 'each message once')
    assert.ok(await bob.quiet(1, (f) => f.event === 'message'), 'each message once')
    // The demo's rooms keep a history in the cluster's broker (Redis Streams / JetStream): either process reads both messages.
    for (const socket of [alice, bob]) {
      const { messages } = (await socket.request('history', { room })).data as { messages: Array<{ event: string; data: unknown }> }
      assert.deepEqual(messages.map((m) => [m.event, m.data]), [['message', { text: 'hello from B' }], ['message', { text: 'hello from A' }]])
    }
  })
  test(`the demo's presence across two processes (${broker}): one member per user, with every connection`, async (t) => {
    if (!(await requireBroker(t, broker, url))) return
    const [portA, portB] = await Promise.all([startDemo(t, url), startDemo(t, url)])
    const [ada1, ada2, bob] = await Promise.all([
      TestSocket.connect(`ws://127.0.0.1:${portA}/ws?user=ada`),
      TestSocket.connect(`ws://127.0.0.1:${portB}/ws?user=ada`),
      TestSocket.connect(`ws://127.0.0.1:${portB}/ws?user=bob`),
    ])
    t.after(() => [ada1, ada2, bob].forEach((s) => s.ws.terminate()))
    const [id1, id2, idBob] = await Promise.all([ada1, ada2, bob].map(async (s) => (await s.nextEvent('welcome')).data.connectionId as string))
    const room = `presence-${process.pid}-${broker}`
    const watch = new PresenceWatch(room, ada1.ws)
    await ada1.request('join', { room, name: 'Ada', presence: true })
    assert.deepEqual(watch.keys(), ['ada'], 'the members came before the join was answered')
    await ada2.request('join', { room, name: 'Ada' })
    await bob.request('join', { room, name: 'Bob' })
    await waitFor('bob to join ada’s view', () => watch.members.has('bob'))
    assert.deepEqual(watch.joins.map((j) => j.key), ['bob'], "ada's second tab, on the other node, is no join")

    const { data } = await bob.request('presence', { room })
    const members = (data.members as Array<{ userId: string; connectionIds: string[] }>).map((m) => ({ ...m, connectionIds: [...m.connectionIds].sort() }))
    assert.deepEqual(
      members.sort((x, y) => x.userId.localeCompare(y.userId)),
      [
        { userId: 'ada', connectionIds: [id1, id2].sort() },
        { userId: 'bob', connectionIds: [idBob] },
      ],
    )
    bob.ws.terminate()
    await waitFor('bob to leave ada’s view', () => !watch.members.has('bob'))
    assert.deepEqual(watch.violations, [])
  })
}
