#!/usr/bin/env node
// `npm start` and `npm run worker` build only when a source changed since the last build, so a worker
// started beside a running demo never rebuilds (and deletes) the dist/ the demo is running from.
// `--stamp` (the end of `npm run build`) records that dist/ is fresh; `--check` only reports. Two starts at once: the second
// waits for the first one's build instead of building too.
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const stamp = join(root, 'dist', '.build-stamp')
const lock = join(root, '.build.lock')
const INPUTS = ['src', 'demo', 'test', 'scripts', 'examples/nest/src', 'package.json', 'tsconfig.json', 'demo/public/tsconfig.json']

if (process.argv.includes('--stamp')) {
  writeFileSync(stamp, `${inputs().list}\n`)
  process.exit(0)
}

// `--check`: exit 1 when a build is due, 0 when dist/ is fresh; builds nothing.
if (process.argv.includes('--check')) process.exit(stale() ? 1 : 0)
process.exitCode = await buildIfStale()

async function buildIfStale() {
  if (!stale()) return 0
  for (const deadline = Date.now() + 10 * 60_000; Date.now() < deadline; ) {
    if (take()) {
      try {
        // Another start may have built while we waited for the lock.
        if (!stale()) return 0
        return spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' }).status ?? 1
      } finally {
        rmSync(lock, { force: true })
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  console.error('gave up waiting for another build to finish (remove .build.lock if none is running)')
  return 1
}

/**
 * Whether an input file is newer than the last build, or one was added or removed since (or there was none).
 * Only files count: a directory's mtime also moves when a test writes its scratch files beside the sources.
 */
function stale() {
  if (!existsSync(stamp)) return true
  const { list, latest } = inputs()
  return latest > statSync(stamp).mtimeMs || readFileSync(stamp, 'utf8').trim() !== list
}

/** The input files: a digest of their paths, and the newest mtime among them. */
function inputs() {
  const files = []
  for (const input of INPUTS) walk(join(root, input), files)
  const list = createHash('sha256').update(files.map((file) => relative(root, file.path)).sort().join('\n')).digest('hex')
  return { list, latest: Math.max(0, ...files.map((file) => file.mtimeMs)) }
}

function walk(path, files) {
  if (!existsSync(path)) return
  const stats = statSync(path)
  if (!stats.isDirectory()) return void files.push({ path, mtimeMs: stats.mtimeMs })
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'artifacts') continue
    walk(join(path, entry), files)
  }
}

/** Takes the build lock, or takes over one whose process is gone. */
function take() {
  try {
    closeSync(openSync(lock, 'wx'))
    writeFileSync(lock, String(process.pid))
    return true
  } catch {
    let owner = 0
    try {
      owner = Number(readFileSync(lock, 'utf8'))
    } catch {
      return false // released meanwhile: try again
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) rmSync(lock, { force: true })
    return false
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return err.code === 'EPERM'
  }
}
