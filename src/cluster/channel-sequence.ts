/**
 * Per-channel broadcast numbering, so a receiving node can tell how many
 * broadcasts it missed (pub/sub is at-most-once: a message published while the
 * broker or a subscription is away is gone, and nothing else would say so).
 *
 * A sender numbers its broadcasts per channel: 0 for the first message on a
 * channel ("take this as your baseline": a fresh counter, e.g. after the
 * sender restarted), then 1, 2, … 0xFFFFFFFF, 1, 2, … (0 is never reused, so
 * the ring is 1..0xFFFFFFFF and 0 stands just before 1). A receiver keeps the
 * last number seen per (channel, sender) while it is subscribed to the
 * channel; a jump of n means n − 1 broadcasts were missed on the way.
 */

/** Size of the ring of numbers after the first message: 1..0xFFFFFFFF. */
const RING = 0xffffffff
/** More channels or senders than this and the oldest state is forgotten wholesale (bounded memory). */
const MAX_ENTRIES = 100_000

function distance(from: number, to: number): number {
  return (((to - from) % RING) + RING) % RING
}

/** The sender side: the next number per channel. */
export class ChannelSequencer {
  // A mutable box per channel: one Map lookup per broadcast and channel.
  readonly #last = new Map<string, { seq: number }>()

  /** The number of the next broadcast on `channel`. */
  take(channel: string): number {
    const last = this.#last.get(channel)
    if (last === undefined) {
      // Forgetting every counter is safe: each restarts at 0, which receivers take as a new baseline.
      if (this.#last.size >= MAX_ENTRIES) this.#last.clear()
      this.#last.set(channel, { seq: 0 })
      return 0
    }
    return (last.seq = last.seq === RING ? 1 : last.seq + 1)
  }

  /**
   * Gives back the number just taken for `channel`: the publish failed and was
   * counted as dropped by the sender, so receivers must not count it missed too.
   */
  untake(channel: string, seq: number): void {
    if (seq === 0) this.#last.delete(channel)
    else this.#last.set(channel, { seq: seq - 1 }) // 0 and 0xFFFFFFFF both precede 1
  }
}

/** What a receiver makes of an arriving number. */
export const STALE = -1

/** The receiver side: the last number seen per (channel, sender), for channels this node is subscribed to. */
export class GapTracker {
  readonly #channels = new Map<string, Map<string, { seq: number }>>()

  /** (Re)starts tracking a channel: this node subscribed to it, and the next number from each sender is a baseline. */
  track(channel: string): void {
    if (!this.#channels.has(channel) && this.#channels.size >= MAX_ENTRIES) this.#channels.clear()
    this.#channels.set(channel, new Map())
  }

  /** Stops tracking a channel (unsubscribed: broadcasts published meanwhile were never owed to this node). */
  untrack(channel: string): void {
    this.#channels.delete(channel)
  }

  /** Forgets a sender that said goodbye (a later process with its id starts again at 0). */
  forgetSender(sender: string): void {
    for (const senders of this.#channels.values()) senders.delete(sender)
  }

  /**
   * Records a broadcast numbered `seq` from `sender` on `channel`. Returns how
   * many broadcasts from that sender on that channel were missed just before
   * it (0 in order, or for a baseline), or `STALE` (-1) for a number at or
   * before the last one seen: a duplicate, or a copy that arrived after later
   * ones (and was counted missed then), which the caller drops. A channel not
   * tracked returns 0.
   */
  observe(channel: string, sender: string, seq: number): number {
    const senders = this.#channels.get(channel)
    if (senders === undefined) return 0
    const last = senders.get(sender)
    if (last === undefined) {
      if (senders.size >= MAX_ENTRIES) senders.clear()
      senders.set(sender, { seq })
      return 0
    }
    if (seq === 0) {
      last.seq = 0
      return 0
    }
    const ahead = distance(last.seq, seq)
    // Half the ring ahead or more is read as behind: ~2 billion broadcasts are never missed in a row.
    if (ahead === 0 || ahead > RING / 2) return STALE
    last.seq = seq
    return ahead - 1
  }

  /** Channels tracked (for tests and stats). */
  get size(): number {
    return this.#channels.size
  }
}
