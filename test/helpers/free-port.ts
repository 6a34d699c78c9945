import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// A port a test binds later (a child server, a private broker restarted on the same port) must not be
// handed to anyone else meanwhile. Ports from `listen(0)` come from the kernel's ephemeral range, which
// every connect() on the machine draws from too, so they are taken below it: 20000–32767 (the range
// starts at 32768 here and on most Linux systems), with a lock file per port that the test suites of
// every worktree on the machine respect, released when this process exits.
const FIRST = 20_000
const LAST = 32_767
const LOCKS = join(tmpdir(), 'gangway-test-ports')
const held = new Set<string>()

process.once('exit', () => {
  for (const lock of held) rmSync(lock, { force: true })
})

/** A loopback TCP port nobody else will be given while this process lives (bound and released once, to check it is free). */
export async function freePort(): Promise<number> {
  mkdirSync(LOCKS, { recursive: true })
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = FIRST + Math.floor(Math.random() * (LAST - FIRST + 1))
    const lock = join(LOCKS, String(port))
    if (!claim(lock)) continue
    if (await bindable(port)) {
      held.add(lock)
      return port
    }
    rmSync(lock, { force: true })
  }
  throw new Error(`no free port in ${FIRST}–${LAST} after 200 tries`)
}

/** Creates the lock file for a port, or takes over one whose owner process is gone. */
function claim(lock: string): boolean {
  try {
    const fd = openSync(lock, 'wx')
    writeSync(fd, String(process.pid))
    closeSync(fd)
    return true
  } catch {
    const owner = Number(readSafely(lock))
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(lock, { force: true })
      return claim(lock)
    }
    return false
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readSafely(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
