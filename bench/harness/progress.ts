/**
 * The progress line of a long run: which run of how many, what it is, time
 * spent and an estimate of what is left. Rewritten in place on a terminal;
 * one line per run otherwise (CI logs, pipes).
 */
export class Progress {
  readonly estimateSeconds: number
  readonly #started = Date.now()
  readonly #tty = process.stderr.isTTY === true
  #remaining: number
  #current = ''
  #currentEstimate = 0

  constructor(estimateSeconds: number) {
    this.estimateSeconds = estimateSeconds
    this.#remaining = estimateSeconds
  }

  begin(index: number, total: number, what: string, estimate: number): void {
    this.#current = `[${index}/${total}] ${what}`
    this.#currentEstimate = estimate
    const line = `${this.#current} · ${clock((Date.now() - this.#started) / 1000)} elapsed · ~${clock(this.#remaining)} left`
    if (this.#tty) process.stderr.write(`\r\x1b[2K${line}`)
    else process.stderr.write(`${line}\n`)
  }

  end(result: string): void {
    this.#remaining = Math.max(0, this.#remaining - this.#currentEstimate)
    if (this.#tty) process.stderr.write(`\r\x1b[2K${this.#current} → ${result}\n`)
    else process.stderr.write(`    → ${result}\n`)
  }
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`
}
