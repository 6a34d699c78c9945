import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))

/**
 * Compiles the bench into a folder of the test's own under dist/ (so a test never rewrites
 * files that other test files are loading) and gives it a scratch folder for results;
 * both are removed when the test ends.
 */
export function buildBench(t: TestContext, name: string, timeoutMs: number): { build: string; out: string } {
  const out = mkdtempSync(join(tmpdir(), `gangway-${name}-`))
  const build = join(repoRoot, 'dist', name)
  t.after(() => {
    rmSync(out, { recursive: true, force: true })
    rmSync(build, { recursive: true, force: true })
  })
  const tsc = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'bench/tsconfig.json', '--outDir', build], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: timeoutMs,
  })
  assert.equal(tsc.status, 0, `bench did not compile:\n${tsc.stdout}${tsc.stderr}`)
  return { build, out }
}
