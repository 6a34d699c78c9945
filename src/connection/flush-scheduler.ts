/**
 * Batches outbox flushes into one microtask for the whole process. Everything
 * queued for a socket while the current I/O callback runs (say, replies to the
 * 16 requests that arrived in one TCP read) goes out in one write, and a
 * broadcast to 5,000 sockets schedules one microtask, not 5,000.
 */
export interface Flushable {
  flush(): void
}

const dirty: Flushable[] = []
let scheduled = false
// A resolved promise's `then` queues the same microtask as `queueMicrotask` without the
// AsyncResource that Node wraps around every `queueMicrotask` callback.
const resolved = Promise.resolve()

/** Flushes `target` at the end of the current tick. Call once per dirty period. */
export function scheduleFlush(target: Flushable): void {
  dirty.push(target)
  if (!scheduled) {
    scheduled = true
    void resolved.then(flushAll)
  }
}

function flushAll(): void {
  scheduled = false
  // Targets marked dirty while flushing are appended and handled in this pass.
  for (let i = 0; i < dirty.length; i++) {
    try {
      dirty[i]!.flush()
    } catch {
      // flush() handles its own errors; never let one socket stop the others.
    }
  }
  dirty.length = 0
}
