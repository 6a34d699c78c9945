// A microservice as a separate process, for the multi-process bridge tests. Handles:
// e2e.ask (progress push, then { answer, worker }; { fail: 'wire' | 'crash' } fails),
// e2e.slow (answers after 2 s), e2e.victim (tells the parent it started, then holds it), e2e.announce (room/user push).
import { createMicroservice, silentLogger, WsError } from '../../src/index.js'
import { createTestTransport, type TransportSpec } from './bridge-transports.js'

const spec = JSON.parse(process.env.GANGWAY_TEST_TRANSPORT!) as TransportSpec
const name = process.env.GANGWAY_TEST_WORKER ?? 'worker'
const transport = createTestTransport(spec)
let handled = 0
const service = createMicroservice({ transport, logger: silentLogger, prefetch: 32 })
  .handle('e2e.ask', async (data: { n?: number; fail?: string }, ctx) => {
    handled++
    if (data?.fail === 'wire') throw new WsError('NOT_ALLOWED', 'Not allowed to ask that')
    if (data?.fail === 'crash') throw new Error('connection string postgres://secret')
    ctx.push('progress', { n: data?.n, step: 1 })
    return { answer: data, worker: name }
  })
  .handle('e2e.slow', async (data) => {
    await new Promise((resolve) => setTimeout(resolve, 2000))
    return data
  })
  .handle('e2e.victim', async (data: { holdMs: number }, ctx) => {
    process.send!({ started: name, redelivered: ctx.redelivered })
    await new Promise((resolve) => setTimeout(resolve, ctx.redelivered ? 0 : data.holdMs))
    return { worker: name, redelivered: ctx.redelivered }
  })
  .handle('e2e.announce', (data: { room?: string; user?: string; text: string }, ctx) => {
    if (data.room) ctx.server.to(data.room).emit('announcement', data.text)
    if (data.user) service.server(ctx.meta.namespace).toUser(data.user).emit('dm', data.text)
    return { sent: true }
  })
await service.listen()
process.send!({ ready: name })
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'stats') process.send!({ stats: { ...service.stats, calls: handled } })
})
process.on('SIGTERM', async () => {
  await service.close()
  await transport.close()
  process.exit(0)
})
