import type { Duplex } from 'node:stream'

const kSlot = Symbol('gangway.addressSlot')
type Slotted = Duplex & { [kSlot]?: { readonly limiter: AddressLimiter; readonly address: string } }

/**
 * Counts the sockets each client address holds — upgrade requests still in the
 * handshake pipeline and open WebSockets alike — so one address cannot take
 * every file descriptor of the process. A slot is taken when the upgrade request
 * arrives and released when its TCP socket closes, whatever ended it (a
 * rejection, a normal close, a peer that vanished), so the count cannot leak.
 */
export class AddressLimiter {
  readonly #counts = new Map<string, number>()

  constructor(readonly maxPerAddress: number) {}

  /** Addresses currently holding at least one socket. */
  get addresses(): number {
    return this.#counts.size
  }

  /** Sockets currently counted against `address`. */
  count(address: string): number {
    return this.#counts.get(address) ?? 0
  }

  /**
   * Takes a slot for `socket` if `address` is under its limit; returns false
   * (and takes nothing) otherwise. The slot is freed when the socket closes.
   */
  tryAcquire(address: string, socket: Duplex): boolean {
    const held = this.#counts.get(address) ?? 0
    if (held >= this.maxPerAddress) return false
    if (socket.destroyed) return true // already gone: nothing to hold, and its 'close' may have fired
    this.#counts.set(address, held + 1)
    // One listener function for every socket ('close' fires once): no closure or once-wrapper per socket.
    ;(socket as Slotted)[kSlot] = { limiter: this, address }
    socket.on('close', releaseSlot)
    return true
  }

  /** Frees a slot of `address`; called by a counted socket's 'close'. */
  release(address: string): void {
    const held = this.#counts.get(address) ?? 0
    if (held <= 1) this.#counts.delete(address)
    else this.#counts.set(address, held - 1)
  }
}

function releaseSlot(this: Slotted): void {
  const slot = this[kSlot]
  if (slot === undefined) return
  this[kSlot] = undefined
  slot.limiter.release(slot.address)
}
