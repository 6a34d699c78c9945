import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { brokerSkipReason, brokerUrls } from '../src/testing/index.js'
import { deleteJetStream } from './helpers/bridge-transports.js'
import { freePort } from './helpers/free-port.js'
import { eventually } from './helpers/start-gateway.js'
import { TestSocket } from './helpers/test-socket.js'

// `npm start` (dist/demo/server.js) and `npm run worker` (dist/demo/worker.js) as a user runs them.

const demo = (file: string) => fileURLToPath(new URL(`../demo/${file}`, import.meta.url))

/** Runs a demo script until the test ends; resolves once it printed `ready`. */
async function run(t: TestContext, file: string, env: Record<string, string>, ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, [demo(file)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => {
    child.kill('SIGTERM')
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start: ${output}`)), 15_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (ready.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}: ${output}`)))
  })
  return child
}

async function ask(port: number): Promise<void> {
  const socket = await TestSocket.connect(`ws://127.0.0.1:${port}/ws`)
  try {
    const reply = await socket.request('ask', { question: 'life' }, 10_000)
    assert.deepEqual(reply.data, { answer: { question: 'life' } })
    const progress = await socket.nextEvent('progress')
    assert.equal(progress.data.pattern, 'demo.ask')
  } finally {
    socket.ws.terminate()
  }
}

test('npm start alone answers `ask` in-process, after one progress frame', async (t) => {
  const port = await freePort()
  await run(t, 'server.js', { PORT: String(port), TRANSPORT_URL: '' }, /gangway demo: .*bridge: in-process/)
  await ask(port)
})

test('npm start with TRANSPORT_URL=amqp://… and npm run worker answer `ask` over RabbitMQ', { skip: await brokerSkipReason('amqp') }, async (t) => {
  const port = await freePort()
  await run(t, 'worker.js', { TRANSPORT_URL: brokerUrls.amqp }, /answering demo\.ask/)
  await run(t, 'server.js', { PORT: String(port), TRANSPORT_URL: brokerUrls.amqp }, /gangway demo: .*bridge: amqp:/)
  await ask(port)
})

test('npm start with TRANSPORT_URL=nats://… first, npm run worker later: the first asks wait on JetStream and are answered', { skip: await brokerSkipReason('nats') }, async (t) => {
  const port = await freePort()
  const env = { TRANSPORT_URL: brokerUrls.nats, DEMO_PREFIX: `demo-js-${process.pid}` }
  await run(t, 'server.js', { ...env, PORT: String(port) }, /gangway demo: .*bridge: nats:\/\/.* \(JetStream\)/)
  const socket = await TestSocket.connect(`ws://127.0.0.1:${port}/ws`)
  t.after(() => socket.ws.terminate())
  const early = socket.request('ask', { question: 'asked before any worker' }, 15_000)
  await run(t, 'worker.js', env, /answering demo\.ask/)
  assert.deepEqual((await early).data, { answer: { question: 'asked before any worker' } })
  t.after(() => deleteJetStream(brokerUrls.nats, `DEMO-JS-${process.pid}_REQUESTS`)) // after hooks run in order: the processes stop first
})

test('on core NATS (NATS_JETSTREAM=0) with no worker, an ask is UNAVAILABLE at once and the log says no service is subscribed', { skip: await brokerSkipReason('nats') }, async (t) => {
  const port = await freePort()
  let output = ''
  const server = await run(t, 'server.js', { TRANSPORT_URL: brokerUrls.nats, NATS_JETSTREAM: '0', DEMO_PREFIX: `demo-core-${process.pid}`, PORT: String(port) }, /bridge: nats:\/\/127\.0\.0\.1:\d+\n/)
  server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const socket = await TestSocket.connect(`ws://127.0.0.1:${port}/ws`)
  t.after(() => socket.ws.terminate())
  const reply = await socket.request('ask', { question: 'anyone?' }, 5000)
  assert.equal(reply.error?.code, 'UNAVAILABLE')
  // JSON log lines escape the quotes around the pattern.
  await eventually(() => output.includes('no service is subscribed to \\"demo.ask\\"'), 5000, 'the warning in the log')
})
