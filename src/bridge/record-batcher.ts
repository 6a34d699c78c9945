import type { BridgeRecord } from './bridge-records.js'

/** Most records carried by one broker message. */
export const MAX_RECORDS_PER_MESSAGE = 128

interface Pending {
  json: string[]
  records: BridgeRecord[]
}

/**
 * Collects records per destination during one tick and sends each
 * destination's records as one broker message at the end of the tick. At
 * concurrency 1 a record goes out alone, a microtask later; under load, the
 * replies a service finishes in one I/O callback share one publish.
 *
 * Records are serialized in `add`, so a value that cannot be JSON fails there,
 * for its own caller, and never takes its batch-mates down with it.
 */
export class RecordBatcher<Key> {
  readonly #pending = new Map<Key, Pending>()
  #scheduled = false

  constructor(private readonly send: (key: Key, body: Buffer, records: readonly BridgeRecord[]) => void) {}

  /** Queues a record; throws (TypeError, RangeError) if it cannot be serialized. */
  add(key: Key, record: BridgeRecord): void {
    const json = JSON.stringify(record)
    let pending = this.#pending.get(key)
    if (pending === undefined) this.#pending.set(key, (pending = { json: [], records: [] }))
    pending.json.push(json)
    pending.records.push(record)
    if (pending.records.length >= MAX_RECORDS_PER_MESSAGE) {
      this.#pending.delete(key)
      this.#sendBatch(key, pending)
      return
    }
    if (!this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(() => this.flush())
    }
  }

  /** Sends everything collected so far. */
  flush(): void {
    this.#scheduled = false
    if (this.#pending.size === 0) return
    const batches = [...this.#pending]
    this.#pending.clear()
    for (const [key, pending] of batches) this.#sendBatch(key, pending)
  }

  #sendBatch(key: Key, pending: Pending): void {
    this.send(key, Buffer.from(`[${pending.json.join(',')}]`), pending.records)
  }
}
