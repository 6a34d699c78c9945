import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { buildBench, repoRoot as root } from './helpers/bench-build.js'

// The benchmark harness end to end on a tiny configuration: real target servers,
// the real load generator, the report and the chart. It asserts only that every
// run completed with answers and no errors — never how fast anything was.

test('npm run bench -- --smoke drives gangway and raw ws through every scenario and reports', { timeout: 180_000 }, (t) => {
  const { build, out } = buildBench(t, 'bench-smoke', 120_000)

  const run = spawnSync(
    process.execPath,
    [join(build, 'bench', 'run.js'), '--smoke', '--targets', 'gangway,raw-ws', '--writes', 'batched,per-frame', '--out', out, '--no-write', '--no-extras'],
    { cwd: root, encoding: 'utf8', timeout: 150_000 },
  )
  assert.equal(run.status, 0, `bench --smoke failed:\n${run.stderr}\n${readLog(out)}`)

  const results = JSON.parse(readFileSync(join(out, 'smoke.json'), 'utf8')) as {
    records: Array<{ config: string; target: string; writes?: string; error?: string; measurement?: Record<string, number> }>
  }
  const seen = results.records.map((r) => `${r.config} ${r.writes ?? '-'} ${r.target}`).sort()
  assert.deepEqual(seen, [
    'fanout n=4 batched gangway',
    'fanout n=4 batched raw-ws',
    'fanout n=4 per-frame gangway',
    'fanout n=4 per-frame raw-ws',
    'idle n=4 - gangway',
    'idle n=4 - raw-ws',
    'rpc c=4 w=2 batched gangway',
    'rpc c=4 w=2 batched raw-ws',
    'rpc c=4 w=2 per-frame gangway',
    'rpc c=4 w=2 per-frame raw-ws',
  ])
  for (const record of results.records) {
    assert.equal(record.error, undefined, `${record.config} ${record.target}: ${record.error}`)
    const m = record.measurement!
    if (record.config.startsWith('idle')) {
      assert.equal(m.connections, 4)
      // Both halves were read: the per-connection (second half) and from-empty figures.
      for (const key of ['rssPerConnectionKiB', 'heapPerConnectionKiB', 'rssFromEmptyPerConnectionKiB', 'heapFromEmptyPerConnectionKiB']) {
        assert.ok(Number.isFinite(m[key]), `${record.config} ${record.target} has no ${key}`)
      }
    } else {
      assert.ok(m.opsPerSec! > 0, `${record.config} ${record.target} completed nothing`)
      assert.ok(Number.isFinite(m.serverMicrosPerOp), `${record.config} ${record.target} has no server CPU figure`)
      assert.equal(m.failures, 0, `${record.config} ${record.target} got error answers`)
      assert.equal(m.closed, 0, `${record.config} ${record.target} lost connections`)
      // Per-frame means one socket write per frame, as browsers' send() does.
      if (record.writes === 'per-frame') assert.ok(m.framesPerWrite! <= 1.01, `${record.config} ${record.target}: ${m.framesPerWrite} frames per write`)
    }
  }
  assert.match(run.stdout, /#### rpc — 4 connections × 2 requests in flight/)
  assert.match(run.stdout, /\| gangway \| [\d,]+ \| [\d.]+× \|/)
  assert.match(run.stdout, /\| per-frame \| gangway \| [\d,]+ \| [\d.]+× \|/)
  assert.match(run.stdout, /\*\*Per-frame client writes\*\*/)
  assert.match(run.stdout, /#### idle memory — 4 idle connections, opened in two halves/)
  assert.match(run.stdout, /\| gangway \| 4 \| -?[\d.]+ \| \*\*[^|]+\*\* \| ±\S+ \| -?[\d.]+ \|/)
  assert.match(run.stdout, /#### Goals/)
  assert.ok(readFileSync(join(out, 'smoke-ratios.svg'), 'utf8').startsWith('<svg'))
})

function readLog(dir: string): string {
  const log = join(dir, 'smoke.log')
  return existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : ''
}
