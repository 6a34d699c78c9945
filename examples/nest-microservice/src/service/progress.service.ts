import { Injectable, type OnModuleDestroy } from '@nestjs/common'
import { createMicroservice, type RemotePushOperator } from 'gangway-ws'
import { amqpTransport } from 'gangway-ws/amqp'
import { AMQP_URL } from '../config'

/**
 * NestJS has no message for "push to the socket that asked": the service reaches the socket
 * through gangway's push API on the same broker (the gateway node that owns the socket gets it).
 */
@Injectable()
export class ProgressService implements OnModuleDestroy {
  readonly #transport = amqpTransport(AMQP_URL)
  readonly #server: RemotePushOperator = createMicroservice({ transport: this.#transport }).server('main')

  push(connectionId: string | undefined, progress: { word: string; done: number }): void {
    if (connectionId !== undefined) this.#server.toConnection(connectionId).emit('recv', progress)
  }

  async onModuleDestroy(): Promise<void> {
    await this.#transport.close()
  }
}
