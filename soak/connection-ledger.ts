// What one soak connection checks on its own, in memory bounded by what is pending:
// - requests: ids are 0, 1, 2, … per connection, so an answer to an id that is not pending was
//   either answered before (duplicate) or never sent (unexpected);
// - room streams: between the join reply (room at seq s0) and the leave reply (room at seq s1)
//   the connection must receive exactly s0+1 … s1, in order; outside a window, nothing.

export interface RequestCounts {
  accepted: number
  delivered: number
  reportedFailed: number
  duplicates: number
  unexpected: number
  mismatched: number
}

export interface StreamCounts {
  /** Deliveries owed by closed windows (s1 - s0), plus what open windows received. */
  owed: number
  received: number
  gaps: number
  /** Ticks at or below one already received: duplicates or reordered. */
  outOfOrder: number
  /** Ticks for a room the connection was not in. */
  strays: number
}

interface Window {
  /** The next seq expected; undefined while the join reply is pending. */
  next: number | undefined
  /** Ticks that arrived before the join reply (possible once the join crosses nodes). */
  early: number[]
  /** A leave was sent; the window closes at its reply. */
  leaving: boolean
}

export class ConnectionLedger {
  readonly requests: RequestCounts = { accepted: 0, delivered: 0, reportedFailed: 0, duplicates: 0, unexpected: 0, mismatched: 0 }
  readonly streams: StreamCounts = { owed: 0, received: 0, gaps: 0, outOfOrder: 0, strays: 0 }
  readonly #pending = new Map<number, { sentAt: number; expected: unknown }>()
  readonly #windows = new Map<string, Window>()
  #nextId = 0

  get pending(): number {
    return this.#pending.size
  }

  /** Registers a request; returns its id. */
  send(expected: unknown, now: number): number {
    const id = this.#nextId++
    this.requests.accepted++
    this.#pending.set(id, { sentAt: now, expected })
    return id
  }

  /** An answer to `id`; returns the request's round trip in ms, or undefined if it was not pending. */
  answer(id: number, matches: (expected: unknown) => boolean, failed: boolean, now: number): { rtt: number; expected: unknown } | undefined {
    const entry = this.#pending.get(id)
    if (entry === undefined) {
      if (Number.isInteger(id) && id >= 0 && id < this.#nextId) this.requests.duplicates++
      else this.requests.unexpected++
      return undefined
    }
    this.#pending.delete(id)
    if (failed) this.requests.reportedFailed++
    else if (matches(entry.expected)) this.requests.delivered++
    else this.requests.mismatched++
    return { rtt: now - entry.sentAt, expected: entry.expected }
  }

  /** The socket closed: every pending request is reported failed to its caller. */
  socketClosed(): void {
    this.requests.reportedFailed += this.#pending.size
    this.#pending.clear()
  }

  joinRequested(room: string): void {
    this.#windows.set(room, { next: undefined, early: [], leaving: false })
  }

  joined(room: string, seq: number): void {
    const window = this.#windows.get(room)
    if (!window) return
    window.next = seq + 1
    for (const early of window.early) this.tick(room, early)
    window.early = []
  }

  leaveRequested(room: string): void {
    const window = this.#windows.get(room)
    if (window) window.leaving = true
  }

  /** Whether a window for the room is open or opening (a join or leave may be in flight). */
  has(room: string): boolean {
    return this.#windows.has(room)
  }

  /** The leave reply: the room stood at `seq` when this connection left it. */
  left(room: string, seq: number): void {
    const window = this.#windows.get(room)
    this.#windows.delete(room)
    if (window?.next === undefined) return
    const missing = seq + 1 - window.next
    if (missing > 0) {
      this.streams.gaps += missing
      this.streams.owed += missing
    }
  }

  tick(room: string, seq: number): void {
    const window = this.#windows.get(room)
    if (window === undefined) return void this.streams.strays++
    if (window.next === undefined) return void window.early.push(seq)
    if (seq === window.next) {
      this.streams.received++
      this.streams.owed++
      window.next++
    } else if (seq > window.next) {
      this.streams.gaps += seq - window.next
      this.streams.received++
      this.streams.owed += seq - window.next + 1
      window.next = seq + 1
    } else {
      this.streams.outOfOrder++
    }
  }

  /** Rooms joined or being joined, and not being left. */
  rooms(): string[] {
    const rooms: string[] = []
    for (const [room, window] of this.#windows) if (!window.leaving) rooms.push(room)
    return rooms
  }
}
