#!/usr/bin/env node
// Runs every compiled test file (unit tests beside the code in dist/src, end-to-end tests in dist/test)
// on Node's built-in runner. Files run in parallel processes; each test uses its own ports.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['dist/src', 'dist/test']
const files = []
for (const root of roots) collect(root)
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}: run "npm run build" first`)
  process.exit(1)
}

const concurrency = process.env.TEST_CONCURRENCY ?? '4'
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=120000', ...files], { stdio: 'inherit' })
process.exit(result.status ?? 1)

function collect(path) {
  if (!existsSync(path)) return
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) collect(join(path, entry))
  } else if (/\.test\.js$/.test(path) && !path.includes(`${join('test', 'fixtures')}`)) {
    files.push(path)
  }
}
