import type { TextFrame } from '../protocol/text-frame.js'

/**
 * The live frames of one room held for one connection while its replay is read and sent. When
 * the replay is out, only frames newer than its last offset are released: a message both
 * replayed and received live goes out once.
 */
export class HeldLive {
  readonly #offsets: number[] = []
  readonly #frames: TextFrame[] = []
  readonly #max: number

  constructor(max: number) {
    this.#max = max
  }

  /** Holds a frame; false when `max` are held already (the caller gives up on the connection). */
  hold(offset: number, frame: TextFrame): boolean {
    if (this.#frames.length >= this.#max) return false
    this.#offsets.push(offset)
    this.#frames.push(frame)
    return true
  }

  get size(): number {
    return this.#frames.length
  }

  /** The held frames with an offset above `after`, in arrival (offset) order. */
  newerThan(after: number): TextFrame[] {
    const frames: TextFrame[] = []
    for (let i = 0; i < this.#frames.length; i++) if (this.#offsets[i]! > after) frames.push(this.#frames[i]!)
    return frames
  }
}
