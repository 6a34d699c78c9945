// Pure module: the client's browser bundle includes it, so no Node built-ins here.
import type { HistoryPosition, RecoveryReport } from '../index.js'

/** What `onRecovery` listeners get: the server's answer to a (re-)join of a room with history. */
export interface RecoveryEvent {
  readonly room: string
  /** True: every missed message was replayed (or none was missed). False: refetch the room's state. */
  readonly recovered: boolean
  /** Why not, when `recovered` is false. */
  readonly reason?: RecoveryReport['reason']
  /** Messages replayed after this event, before any newer live one. */
  readonly replayed: number
}

/**
 * Where the client is in each joined room's history: the last `{ offset, epoch }` received, from
 * live pushes, replayed ones and `$recovery` frames. A re-join sends it as `since`, so the server
 * replays exactly what was missed. A position only moves forward within an epoch.
 */
export class HistoryBook {
  readonly #positions = new Map<string, HistoryPosition>()

  position(room: string): HistoryPosition | undefined {
    return this.#positions.get(room)
  }

  /** A push carried `room`, `offset` and `epoch`. */
  received(room: string, offset: number, epoch: string): void {
    const current = this.#positions.get(room)
    if (current === undefined || current.epoch !== epoch || offset > current.offset) this.#positions.set(room, { offset, epoch })
  }

  /**
   * A `$recovery` frame; returns the event for listeners, or undefined for data that is not one.
   * With messages to replay, the position is left for them to advance (a drop mid-replay resumes
   * from the last one received); with none, it is the room's position at the server's read.
   */
  recovery(data: unknown): RecoveryEvent | undefined {
    if (typeof data !== 'object' || data === null) return undefined
    const { room, recovered, reason, epoch, offset, replayed } = data as Partial<Record<keyof RecoveryReport, unknown>>
    if (typeof room !== 'string' || typeof recovered !== 'boolean') return undefined
    const count = typeof replayed === 'number' ? replayed : 0
    if (typeof epoch === 'string' && typeof offset === 'number') {
      const current = this.#positions.get(room)
      const fresh = current === undefined || current.epoch !== epoch
      // Not recovered: the app refetches as of now, so the position jumps to the room's top.
      if (!recovered || count === 0) this.#positions.set(room, { offset, epoch })
      else if (fresh) this.#positions.delete(room)
    }
    return { room, recovered, ...(typeof reason === 'string' ? { reason: reason as RecoveryReport['reason'] } : {}), replayed: count }
  }

  /** `since` of a join envelope for `room`: its position, `{ last }` asked for, or undefined. */
  sinceJson(room: string, last?: number): string | undefined {
    const position = this.#positions.get(room)
    if (position !== undefined) return `{${JSON.stringify(room)}:{"offset":${position.offset},"epoch":${JSON.stringify(position.epoch)}}}`
    if (last !== undefined) return `{${JSON.stringify(room)}:{"last":${last}}}`
    return undefined
  }

  forget(room: string): void {
    this.#positions.delete(room)
  }
}
