import { randomInt } from 'node:crypto'

/**
 * Per-channel broadcast numbering, so a receiving node can tell how many
 * broadcasts it missed (pub/sub is at-most-once: a message published while the
 * broker or a subscription is away is gone, and nothing else would say so).
 *
 * A sender numbers its broadcasts per channel, within an epoch: a random u32
 * per sender instance, so a process that restarted with the same node id is
 * never read as continuing its predecessor's numbers. In an epoch each
 * channel's numbers run 0, 1, … 0xFFFFFFFF, 1, 2, … (0 only starts a channel,
 * so after the wrap the ring is 1..0xFFFFFFFF and 0 stands just before 1).
 *
 * A receiver keeps the last (epoch, number) seen per (channel, sender) while
 * it is subscribed to the channel: a jump of n means n − 1 broadcasts were
 * missed on the way; number k of a new epoch means the k before it were.
 */

/** Size of the ring of numbers after the first message: 1..0xFFFFFFFF. */
const RING = 0xffffffff
/** More channels or senders than this and the state is forgotten wholesale (bounded memory). */
const MAX_ENTRIES = 100_000

function distance(from: number, to: number): number {
  return (((to - from) % RING) + RING) % RING
}

function randomEpoch(): number {
  return randomInt(0x1_0000_0000)
}

/** The sender side: the epoch, and the last number per channel. */
export class ChannelSequencer {
  #epoch = randomEpoch()
  // A mutable box per channel: one Map lookup per broadcast and channel.
  readonly #last = new Map<string, { seq: number }>()

  /** The current epoch: every broadcast carries it. */
  get epoch(): number {
    return this.#epoch
  }

  /** The numbers of the next broadcast on each of `channels`, all in the epoch current after the call. */
  take(channels: readonly string[]): number[] {
    // Forgetting happens before any number is taken, so one broadcast's numbers are all of one epoch.
    if (this.#last.size + channels.length > MAX_ENTRIES) {
      // Every counter restarts at 0: a new epoch says so to the receivers.
      this.#last.clear()
      this.#epoch = randomEpoch()
    }
    if (channels.length === 1) return [this.#next(channels[0]!)]
    return channels.map((channel) => this.#next(channel))
  }

  #next(channel: string): number {
    const last = this.#last.get(channel)
    if (last === undefined) {
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
  readonly #channels = new Map<string, Map<string, { epoch: number; seq: number }>>()

  /** (Re)starts tracking a channel: this node subscribed to it, and the next number from each sender is a baseline. */
  track(channel: string): void {
    if (!this.#channels.has(channel) && this.#channels.size >= MAX_ENTRIES) this.#channels.clear()
    this.#channels.set(channel, new Map())
  }

  /** Stops tracking a channel (unsubscribed: broadcasts published meanwhile were never owed to this node). */
  untrack(channel: string): void {
    this.#channels.delete(channel)
  }

  /** Forgets a sender that said goodbye (it sent everything; memory for the senders of a long-lived node stays bounded). */
  forgetSender(sender: string): void {
    for (const senders of this.#channels.values()) senders.delete(sender)
  }

  /**
   * Records a broadcast numbered `seq` in `epoch` from `sender` on `channel`.
   * Returns how many broadcasts from that sender on that channel were missed
   * just before it — 0 in order, or for the first one seen since `track()` —
   * or `STALE` (-1) for a number at or before the last one seen in the same
   * epoch: a duplicate, or a copy that arrived after later ones (and was
   * counted missed then), which the caller drops. A channel not tracked
   * returns 0.
   */
  observe(channel: string, sender: string, epoch: number, seq: number): number {
    const senders = this.#channels.get(channel)
    if (senders === undefined) return 0
    const last = senders.get(sender)
    if (last === undefined) {
      if (senders.size >= MAX_ENTRIES) senders.clear()
      senders.set(sender, { epoch, seq })
      return 0
    }
    if (last.epoch !== epoch) {
      // A new epoch numbers every channel from 0, and this node was subscribed all along: 0..seq-1 were missed.
      last.epoch = epoch
      last.seq = seq
      return seq <= RING / 2 ? seq : 0
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
