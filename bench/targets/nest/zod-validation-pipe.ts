import type { PipeTransform } from '@nestjs/common'
import { WsException } from '@nestjs/websockets'
import type { ZodType } from 'zod'

/**
 * The zod pipe from the NestJS validation docs, throwing `WsException` as a
 * gateway should. It gives the Nest targets the same schemas as every other target.
 */
export class ZodValidationPipe implements PipeTransform {
  constructor(private readonly schema: ZodType) {}

  transform(value: unknown): unknown {
    const parsed = this.schema.safeParse(value)
    if (!parsed.success) throw new WsException(parsed.error.issues[0]?.message ?? 'Invalid payload')
    return parsed.data
  }
}
