const RECENT = 64

/** The last multi-channel broadcast numbers handled from one sender. */
class RecentSeqs {
  readonly seqs = new Uint32Array(RECENT)
  filled = 0
  next = 0
}

/**
 * The other nodes of the cluster, learnt from their heartbeats and messages,
 * and forgotten after `nodeTimeoutMs` of silence or a goodbye. Queries wait for
 * the nodes listed here.
 *
 * It also deduplicates broadcasts that reach this node on several channels
 * (a message to two rooms this node has members of): the sender numbers its
 * broadcasts, and copies of one arrive back to back, so a short window of
 * recent numbers per sender is enough.
 */
export class ClusterNodes {
  /** Node id → when it was last heard from. */
  readonly #lastSeen = new Map<string, number>()
  readonly #recent = new Map<string, RecentSeqs>()

  /** Records a sign of life; returns true if the node was not known. */
  touch(nodeId: string, now: number): boolean {
    const known = this.#lastSeen.has(nodeId)
    this.#lastSeen.set(nodeId, now)
    return !known
  }

  /** Whether this broadcast of `nodeId` was handled already; records it if not. */
  isDuplicate(nodeId: string, seq: number): boolean {
    let recent = this.#recent.get(nodeId)
    if (!recent) this.#recent.set(nodeId, (recent = new RecentSeqs()))
    const { seqs } = recent
    // Newest first: the copy we are looking for is almost always the last one recorded.
    for (let i = 1; i <= recent.filled; i++) {
      if (seqs[(recent.next - i + RECENT) % RECENT] === seq) return true
    }
    seqs[recent.next] = seq
    recent.next = (recent.next + 1) % RECENT
    if (recent.filled < RECENT) recent.filled++
    return false
  }

  /** Forgets a node (it said goodbye); returns whether it was known. */
  remove(nodeId: string): boolean {
    this.#recent.delete(nodeId)
    return this.#lastSeen.delete(nodeId)
  }

  /** Forgets nodes silent for longer than `timeoutMs`; returns their ids. */
  expire(now: number, timeoutMs: number): string[] {
    const gone: string[] = []
    for (const [nodeId, lastSeen] of this.#lastSeen) {
      if (now - lastSeen > timeoutMs) {
        this.#lastSeen.delete(nodeId)
        gone.push(nodeId)
      }
    }
    // Dedup windows of senders that never announced themselves go too.
    for (const nodeId of this.#recent.keys()) if (!this.#lastSeen.has(nodeId)) this.#recent.delete(nodeId)
    return gone
  }

  has(nodeId: string): boolean {
    return this.#lastSeen.has(nodeId)
  }

  ids(): string[] {
    return [...this.#lastSeen.keys()]
  }

  get size(): number {
    return this.#lastSeen.size
  }
}
