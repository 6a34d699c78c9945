import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { brokerSkipReason, brokerUrls } from '../src/testing/index.js'
import { TestSocket } from './helpers/test-socket.js'

// `npm start` (dist/demo/server.js) and `npm run worker` (dist/demo/worker.js) as a user runs them.

const demo = (file: string) => fileURLToPath(new URL(`../demo/${file}`, import.meta.url))

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

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
