import type { Limit } from './storm-session.js'

/** At most `slots` tasks run at once; the rest wait in order. */
export function createLimit(slots: number): Limit {
  let running = 0
  const waiting: Array<() => void> = []
  return async (task) => {
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve))
    running++
    try {
      return await task()
    } finally {
      running--
      waiting.shift()?.()
    }
  }
}
