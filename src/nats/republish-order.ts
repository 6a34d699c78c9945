/**
 * How long a room's republished message waits for the one before it in the stream. A NATS
 * server before 2.12 republishes after releasing the stream's lock, so two connections
 * publishing at once can have their messages republished out of sequence order; the late one
 * follows within milliseconds (measured: at most ~25 ms on a loaded 2-core machine). Past this,
 * the missing message is taken as lost (e.g. dropped by a slow subscription) and the wait ends.
 */
export const REPUBLISH_GAP_WAIT_MS = 500
/** Messages one room holds while it waits, at most; past it they go out in sequence order. */
const MAX_WAITING = 10_000

/**
 * Puts one room's republished messages back in stream order. Each carries its sequence and the
 * sequence of the room's message before it (`Nats-Last-Sequence`, taken under the stream's
 * lock), so a message whose predecessor was not delivered yet waits for it. Delivery is in
 * sequence order except after a wait timed out or when the subscription started between a
 * message and its late predecessor: then the late one is delivered when it arrives.
 */
export class RepublishOrder<T> {
  readonly #deliver: (item: T) => void
  readonly #waitMs: number
  /** The highest sequence delivered; 0 before the first. */
  #last = 0
  /** Waiting messages by the sequence of their predecessor. */
  readonly #waiting = new Map<number, { seq: number; item: T }>()
  #timer: NodeJS.Timeout | undefined

  constructor(deliver: (item: T) => void, waitMs = REPUBLISH_GAP_WAIT_MS) {
    this.#deliver = deliver
    this.#waitMs = waitMs
  }

  /** A republished message: `seq` its sequence, `previous` the room's sequence before it (0: none). */
  push(seq: number, previous: number, item: T): void {
    // The room's first message while it had some: the stream started over.
    if (previous === 0 && seq <= this.#last) this.reset()
    if (this.#last > 0 && previous > this.#last && seq > this.#last) {
      if (!this.#waiting.has(previous) && this.#waiting.size < MAX_WAITING) {
        this.#waiting.set(previous, { seq, item })
        this.#timer ??= setTimeout(() => this.#flush(), this.#waitMs).unref()
        return
      }
      this.#flush()
    }
    this.#emit(seq, item)
    let next
    while ((next = this.#waiting.get(this.#last)) !== undefined) {
      this.#waiting.delete(this.#last)
      this.#emit(next.seq, next.item)
    }
    if (this.#waiting.size === 0) this.#stopTimer()
  }

  /** Delivers what waits and forgets the position (a reconnect may have lost messages). */
  reset(): void {
    this.#flush()
    this.#last = 0
  }

  /** Drops what waits (the room is unsubscribed). */
  close(): void {
    this.#stopTimer()
    this.#waiting.clear()
  }

  #emit(seq: number, item: T): void {
    if (seq > this.#last) this.#last = seq
    this.#deliver(item)
  }

  /** Gives up waiting: what waits goes out in sequence order. */
  #flush(): void {
    this.#stopTimer()
    if (this.#waiting.size === 0) return
    const waiting = [...this.#waiting.values()].sort((a, b) => a.seq - b.seq)
    this.#waiting.clear()
    for (const { seq, item } of waiting) this.#emit(seq, item)
  }

  #stopTimer(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
