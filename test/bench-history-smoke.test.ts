import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { buildBench, repoRoot as root } from './helpers/bench-build.js'
import { NATS_URL, REDIS_URL, requireBroker } from './helpers/cluster-brokers.js'

// `npm run bench:history` end to end at a tiny size, on the shared brokers: fanout with
// history on (Redis), and the recovery storm for gangway (Redis, NATS) and for Socket.IO.
// It asserts only that every run completed, every client recovered and the report has
// its fields — never how fast anything was.

test('npm run bench:history -- --smoke runs fanout and the recovery storm and reports', { timeout: 90_000 }, async (t) => {
  if (!(await requireBroker(t, 'Redis', REDIS_URL)) || !(await requireBroker(t, 'NATS', NATS_URL))) return
  const { build, out } = buildBench(t, 'bench-history-smoke', 60_000)

  const run = spawnSync(
    process.execPath,
    [join(build, 'bench', 'history', 'run.js'), '--smoke', '--fanouts', 'redis-on', '--storms', 'gangway-redis,gangway-nats,socketio', '--out', out],
    { cwd: root, encoding: 'utf8', timeout: 75_000 },
  )
  assert.equal(run.status, 0, `bench:history --smoke failed:\n${run.stdout}\n${run.stderr}`)

  const file = readdirSync(out).find((name) => name.endsWith('.json'))!
  const results = JSON.parse(readFileSync(join(out, file), 'utf8')) as {
    errors: string[]
    fanout: Record<string, Array<Record<string, number>>>
    storm: Record<string, Array<Record<string, number>>>
  }
  assert.deepEqual(results.errors, [])
  const [fanout] = results.fanout['Redis, history on']!
  assert.ok(fanout!.deliveriesPerSec! > 0, 'fanout delivered nothing')
  assert.ok(Number.isFinite(fanout!.nodeMicrosPerDelivery) && fanout!.nodeMicrosPerDelivery! > 0, 'no CPU figure for the nodes')
  assert.equal(Object.keys(results.storm).length, 3)
  for (const [name, [storm]] of Object.entries(results.storm)) {
    assert.equal(storm!.connected, 20, name)
    assert.equal(storm!.recovered, 20, `${name}: ${JSON.stringify(storm)}`)
    assert.equal(storm!.failed, 0, name)
    assert.ok(storm!.allRecoveredMs! > 0 && storm!.peakRssMiB! >= storm!.rssBeforeMiB! * 0.5, name)
    assert.ok(Number.isFinite(storm!.liveIdleP99Ms) && Number.isFinite(storm!.liveStormP99Ms), `${name} has no live latency`)
  }
  assert.equal(results.storm[Object.keys(results.storm).find((n) => n.startsWith('Socket.IO'))!]![0]!.serverRecovered, 20, 'Socket.IO did not recover its sessions')
  assert.match(run.stdout, /#### Fanout with history on vs off/)
  assert.match(run.stdout, /#### Recovery storm — 20 clients/)
  assert.match(run.stdout, /\| goal \|/)
})
