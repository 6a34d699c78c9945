import type { HistoryRange, HistoryReadRequest, RoomHistoryConfig, StoredEntry } from '../contracts/history.js'
import { encodeHistoryEvent } from '../protocol/frames.js'
import type { TextFrame } from '../protocol/text-frame.js'
import type { ReplayGate } from './replay-gate.js'

/** A store read, as the engine bounds it. */
export type ReplayRead = (namespace: string, room: string, request: HistoryReadRequest, config: RoomHistoryConfig) => Promise<HistoryRange>

/** One join's use of a batch's read: its range, its entries' frames (encoded once per batch), and `done` when sent. */
export interface ReplayLease {
  readonly range: HistoryRange
  frame(entry: StoredEntry): TextFrame
  /** The join has sent its replay; the batch's gate slot is freed when every join of it has. Idempotent. */
  done(): void
}

interface Batch {
  members: number
  result: Promise<SharedRead | undefined>
}

/**
 * Coalesces identical replay reads: the joins of one (namespace, room, read request) that wait at
 * the same time share one store read and one encoding of its frames. A batch's read starts on a
 * later turn of the event loop, once the same key's previous read is over and a gate slot is free;
 * every join registered before that shares it, later ones form the next batch. A join registers
 * only once it holds the room's live frames, so its read starts after the hold: a message is in
 * the read or held, never in neither. One gate slot per batch, held until each member is done.
 */
export class ReplayBatches {
  readonly #gate: ReplayGate
  readonly #maxWaiting: number
  readonly #read: ReplayRead
  /** Per key, the batch still taking joins. */
  readonly #pending = new Map<string, Batch>()
  /** Per key, the read in flight (the next batch starts after it). */
  readonly #reading = new Map<string, Promise<unknown>>()
  #waiting = 0

  constructor(gate: ReplayGate, maxWaiting: number, read: ReplayRead) {
    this.#gate = gate
    this.#maxWaiting = maxWaiting
    this.#read = read
  }

  /** Joins waiting for their batch's read to start. */
  get waiting(): number {
    return this.#waiting
  }

  /**
   * Registers a join for a read; `undefined` when `maxWaiting` joins wait already beyond the free slots. Resolves with
   * `undefined` when the gate turned its batch away, rejects when the read failed.
   */
  join(namespace: string, room: string, request: HistoryReadRequest, config: RoomHistoryConfig): Promise<ReplayLease | undefined> | undefined {
    // Joins about to take a free slot are not queued: `maxWaiting` counts the ones beyond.
    if (this.#waiting >= this.#maxWaiting + this.#gate.free) return undefined
    const key = keyOf(namespace, room, request)
    let batch = this.#pending.get(key)
    if (batch === undefined) {
      const opened: Batch = { members: 0, result: Promise.resolve(undefined) }
      this.#pending.set(key, opened)
      opened.result = this.#run(key, opened, namespace, room, request, config)
      batch = opened
    }
    batch.members++
    this.#waiting++
    return batch.result.then((shared) => shared?.lease())
  }

  async #run(key: string, batch: Batch, namespace: string, room: string, request: HistoryReadRequest, config: RoomHistoryConfig): Promise<SharedRead | undefined> {
    await this.#reading.get(key)
    // Joins that arrive on this turn of the event loop share the read.
    await new Promise<void>((resolve) => setImmediate(resolve))
    const slot = this.#gate.acquire()
    const release = slot === undefined ? undefined : await slot
    // Closed: a join from now on held its live frames after this read starts, so it needs the next one.
    this.#pending.delete(key)
    this.#waiting -= batch.members
    if (release === undefined) return undefined
    const reading = this.#read(namespace, room, request, config)
    const settled = reading.then(noop, noop)
    this.#reading.set(key, settled)
    void settled.then(() => {
      if (this.#reading.get(key) === settled) this.#reading.delete(key)
    })
    try {
      return new SharedRead(room, await reading, batch.members, release)
    } catch (err) {
      release()
      throw err
    }
  }
}

/** A batch's read and the frames of its entries, shared by its members. */
class SharedRead {
  readonly #range: HistoryRange
  readonly #roomJson: string
  readonly #epochJson: string
  readonly #frames = new Map<StoredEntry, TextFrame>()
  #users: number
  readonly #release: () => void

  constructor(room: string, range: HistoryRange, users: number, release: () => void) {
    this.#range = range
    this.#roomJson = JSON.stringify(room)
    this.#epochJson = JSON.stringify(range.epoch)
    this.#users = users
    this.#release = release
  }

  lease(): ReplayLease {
    let done = false
    return {
      range: this.#range,
      frame: (entry) => this.#frame(entry),
      done: () => {
        if (done) return
        done = true
        if (--this.#users === 0) this.#release()
      },
    }
  }

  #frame(entry: StoredEntry): TextFrame {
    let frame = this.#frames.get(entry)
    if (frame === undefined) {
      frame = encodeHistoryEvent(entry.event, entry.data, this.#roomJson, entry.offset, this.#epochJson)
      this.#frames.set(entry, frame)
    }
    return frame
  }
}

function keyOf(namespace: string, room: string, request: HistoryReadRequest): string {
  const from = 'after' in request ? `a${request.after}` : `l${request.last}`
  return `${namespace}\u0000${room}\u0000${from}\u0000${request.limit}`
}

function noop(): void {}
