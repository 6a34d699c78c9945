// The microservice: takes `ai.ask` from RabbitMQ, streams progress to the asking socket, replies.
// Start two of them: they share the queue, and one that dies mid-message has it redelivered to the other.
import { createMicroservice, WsError } from 'gangway-ws'
import { amqpTransport } from 'gangway-ws/amqp'

const transport = amqpTransport(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672')
const service = createMicroservice({ transport, prefetch: 16 }).handle('ai.ask', async (data: { prompt?: unknown }, ctx) => {
  if (typeof data?.prompt !== 'string') throw new WsError('BAD_PROMPT', 'Send { "prompt": "..." }')
  const words = data.prompt.split(/\s+/)
  for (const [i, word] of words.entries()) {
    ctx.push('progress', { word, done: (i + 1) / words.length }) // goes straight to the asking socket
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  console.log(`answered ${ctx.meta.connectionId} (trace ${ctx.meta.traceId})`)
  return { answer: data.prompt.toUpperCase(), words: words.length }
})
await service.listen()
console.log('service: consuming ai.ask')

process.on('SIGINT', async () => {
  await service.close()
  await transport.close()
  process.exit(0)
})
