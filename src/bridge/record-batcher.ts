import type { BridgeRecord } from './bridge-records.js'

/** Most records carried by one broker message. */
export const MAX_RECORDS_PER_MESSAGE = 128

interface Pending {
  json: string[]
  records: BridgeRecord[]
}

/**
 * Collects records per destination and sends each destination's records as
 * one broker message once the event loop has run the I/O callbacks it had
 * ready (`setImmediate`): requests read from 16 sockets in one loop turn
 * share one publish, and the replies a service finishes together share
 * another. Idle, a record leaves on the same loop turn, right after the
 * callback that produced it. With `oneRecordPerMessage` (links that need a
 * broker message per request) records still leave together, in one write.
 *
 * Records are serialized in `add`, so a value that cannot be JSON fails there,
 * for its own caller, and never takes its batch-mates down with it.
 */
export class RecordBatcher<Key> {
  readonly #pending = new Map<Key, Pending>()
  #scheduled = false

  constructor(
    private readonly send: (key: Key, body: Buffer, records: readonly BridgeRecord[]) => void,
    private readonly oneRecordPerMessage = false,
  ) {}

  /** Queues a record; throws (TypeError, RangeError) if it cannot be serialized. */
  add(key: Key, record: BridgeRecord): void {
    const json = JSON.stringify(record)
    let pending = this.#pending.get(key)
    if (pending === undefined) this.#pending.set(key, (pending = { json: [], records: [] }))
    pending.json.push(json)
    pending.records.push(record)
    if (pending.records.length >= MAX_RECORDS_PER_MESSAGE && !this.oneRecordPerMessage) {
      this.#pending.delete(key)
      this.#sendBatch(key, pending)
      return
    }
    if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => this.flush())
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
    if (this.oneRecordPerMessage) {
      for (let i = 0; i < pending.records.length; i++) this.send(key, Buffer.from(`[${pending.json[i]}]`), [pending.records[i]!])
      return
    }
    this.send(key, Buffer.from(`[${pending.json.join(',')}]`), pending.records)
  }
}
