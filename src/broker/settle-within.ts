/**
 * Waits until `work` settles or `ms` have passed, whichever comes first, and
 * never rejects. Broker connections close through it: a polite close (QUIT,
 * drain, close-ok) lets queued messages out, but a dead or frozen server must
 * not hold a shutdown up.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))
  await Promise.race([work.then(noop, noop), timeout])
  clearTimeout(timer)
}

function noop(): void {}
