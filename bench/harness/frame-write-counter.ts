/**
 * Counts the frames a generator sends and how many of them joined bytes still
 * queued on their socket (corked, or waiting for the kernel). Those leave in a
 * write shared with earlier frames; every other frame starts a write of its
 * own. So frames ÷ (frames − joined) is frames per write: 1.00 is the proof
 * that per-frame mode wrote each frame alone, and batched mode shows how much
 * it coalesced.
 */
export class FrameWriteCounter {
  frames = 0
  joined = 0

  reset(): void {
    this.frames = this.joined = 0
  }
}
