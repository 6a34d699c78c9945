import { readFileSync } from 'node:fs'

/** Busy and total jiffies per core, from /proc/stat. */
export type CoreTimes = ReadonlyArray<{ busy: number; total: number }>

export function readCoreTimes(): CoreTimes {
  try {
    const times: Array<{ busy: number; total: number }> = []
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const match = /^cpu(\d+)\s+(.*)$/.exec(line)
      if (!match) continue
      const fields = match[2]!.trim().split(/\s+/).map(Number)
      const total = fields.reduce((sum, value) => sum + value, 0)
      const idle = (fields[3] ?? 0) + (fields[4] ?? 0)
      times[Number(match[1])] = { busy: total - idle, total }
    }
    return times
  } catch {
    return []
  }
}

/** Fraction of time each core was busy (any process) between two readings. */
export function coreBusy(before: CoreTimes, after: CoreTimes, core: number): number {
  const a = before[core]
  const b = after[core]
  if (!a || !b || b.total === a.total) return Number.NaN
  return (b.busy - a.busy) / (b.total - a.total)
}
