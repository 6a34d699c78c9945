import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { brokerSkipReason, brokerUrls } from '../src/testing/index.js'

// examples/nest-microservice (the seed-004 layout: gangway gateway, RabbitMQ, an unmodified NestJS
// microservice) works end to end with its one command. scripts/build-examples.mjs compiles it.
const main = fileURLToPath(new URL('../../examples/nest-microservice/dist/main.js', import.meta.url))

test('examples/nest-microservice: `npm start` runs client → gateway → RabbitMQ → NestJS microservice → gateway → client', { skip: await brokerSkipReason('amqp'), timeout: 60_000 }, async () => {
  // One fixed queue: the example's NestJS service declares it durable, as NestJS does by default.
  const child = spawn(process.execPath, [main], { env: { ...process.env, AMQP_URL: brokerUrls.amqp, QUEUE: 'gangway_example_nest_microservice', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const code = await new Promise((resolve) => child.once('exit', resolve))
  assert.equal(code, 0, output)
  const frames = output
    .split('\n')
    .filter((line) => line.startsWith('client: '))
    .map((line) => JSON.parse(line.slice('client: '.length)))
  assert.deepEqual(
    frames.filter((f) => f.event === 'recv').map((f) => f.data.word),
    ['what', 'is', 'the', 'answer'],
    'progress pushed by the NestJS service to the asking socket',
  )
  assert.deepEqual(frames.find((f) => f.id === 1 && f.data), { event: 'send', data: { answer: 'WHAT IS THE ANSWER', words: 4 }, id: 1 })
  assert.deepEqual(frames.find((f) => f.error)?.error, { code: 'BAD_PROMPT', message: 'Send { "prompt": "..." }' })
})
