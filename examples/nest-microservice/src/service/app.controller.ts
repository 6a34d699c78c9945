import { Controller } from '@nestjs/common'
import { Ctx, MessagePattern, Payload, RmqContext, RpcException } from '@nestjs/microservices'
import { ProgressService } from './progress.service'

/**
 * The microservice of the write-up, unchanged in shape: a NestJS controller on Transport.RMQ.
 * Nothing in it knows about gangway, except the optional progress pushes (ProgressService).
 */
@Controller()
export class AppController {
  constructor(private readonly progress: ProgressService) {}

  @MessagePattern({ cmd: 'send' })
  async send(@Payload() data: { prompt?: unknown }, @Ctx() ctx: RmqContext) {
    if (typeof data?.prompt !== 'string' || data.prompt.trim() === '') {
      // A code of our own: the client gets exactly this error frame.
      throw new RpcException({ code: 'BAD_PROMPT', message: 'Send { "prompt": "..." }' })
    }
    // Who asked: the gateway puts the connection id in the message's headers (and metadata).
    const connectionId = ctx.getMessage().properties.headers?.['x-connection-id'] as string | undefined
    const words = data.prompt.split(/\s+/)
    for (const [i, word] of words.entries()) {
      this.progress.push(connectionId, { word, done: (i + 1) / words.length })
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return { answer: data.prompt.toUpperCase(), words: words.length }
  }
}
