/**
 * A latency histogram in microseconds with about 0.1% resolution: values
 * below 2,048 µs get a bucket each, larger ones 1,024 buckets per power of
 * two. Recording is a few integer operations; histograms merge by adding.
 */
const LINEAR = 2048
const SUB = 1024
const BUCKETS = LINEAR + 21 * SUB

export class Histogram {
  readonly counts = new Float64Array(BUCKETS)
  total = 0

  record(microseconds: number): void {
    const v = microseconds <= 0 ? 0 : microseconds >= 2 ** 31 - 1 ? 2 ** 31 - 1 : Math.floor(microseconds)
    this.counts[bucketOf(v)]!++
    this.total++
  }

  reset(): void {
    this.counts.fill(0)
    this.total = 0
  }

  /** Non-empty buckets as `[bucket, count]` pairs (for sending between processes). */
  toPairs(): Array<[number, number]> {
    const pairs: Array<[number, number]> = []
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) pairs.push([i, this.counts[i]!])
    return pairs
  }

  add(pairs: ReadonlyArray<readonly [number, number]>): void {
    for (const [bucket, count] of pairs) {
      this.counts[bucket]! += count
      this.total += count
    }
  }

  /** The value (µs, bucket lower bound) at quantile `q` in [0, 1]; NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN
    const rank = Math.max(1, Math.ceil(q * this.total))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return valueOf(i)
    }
    return valueOf(BUCKETS - 1)
  }
}

function bucketOf(v: number): number {
  if (v < LINEAR) return v
  const exponent = 31 - Math.clz32(v)
  const shift = exponent - 10
  return LINEAR + (shift - 1) * SUB + ((v >>> shift) - SUB)
}

function valueOf(bucket: number): number {
  if (bucket < LINEAR) return bucket
  const shift = Math.floor((bucket - LINEAR) / SUB) + 1
  return (SUB + ((bucket - LINEAR) % SUB)) * 2 ** shift
}
