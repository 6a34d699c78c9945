import { createMicroservice, type Microservice, type Transport } from 'gangway-ws'

/**
 * The demo microservice: `demo.ask` pushes one `progress` frame to the asking
 * socket, then answers `{ answer: <data> }`.
 */
export function demoService(transport: Transport): Microservice {
  return createMicroservice({ transport }).handle('demo.ask', async (data: unknown, ctx) => {
    ctx.push('progress', { pattern: ctx.pattern, step: 'thinking' })
    return { answer: data }
  })
}
