import type { ReplyRecord, ErrorRecord } from './bridge-records.js'

/** What a service remembers of a request it has seen (or been told to skip: `cancelled`). */
export type SeenRequest =
  | { readonly state: 'running' }
  | { readonly state: 'done'; readonly answer: ReplyRecord | ErrorRecord | undefined }
  | { readonly state: 'cancelled' }

/**
 * The requests a service handled recently, by correlation key, so a message
 * the broker delivers again (a lost ack, a reconnect) is not handled twice by
 * this instance: while the first run is in flight the copy is dropped; after
 * it, the remembered answer is sent again (the gateway keeps the first answer
 * it gets and discards the rest). Bounded in entries and age; redeliveries
 * that land on another instance are the handler's to make idempotent.
 *
 * It also remembers requests cancelled before they arrived here, so one taken
 * from the queue after its cancellation is skipped: the same bound applies.
 */
export class DedupeWindow {
  readonly #entries = new Map<string, { seen: SeenRequest; at: number }>()

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.#entries.size
  }

  get(key: string, now: number): SeenRequest | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (now - entry.at > this.ttlMs) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.seen
  }

  set(key: string, seen: SeenRequest, now: number): void {
    if (this.maxEntries === 0) return
    this.#entries.delete(key)
    this.#entries.set(key, { seen, at: now })
    // Maps iterate in insertion order: the first key is the oldest.
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!)
  }
}
