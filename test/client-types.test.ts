import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

// Type tests: the fixtures import gangway-ws and gangway-ws/client by package name, like user code,
// and resolve them through the package's own exports (the compiled declarations in dist/).
const root = fileURLToPath(new URL('../..', import.meta.url))
const fixtures = join(root, 'test/fixtures/client-types')
const tsc = join(root, 'node_modules/typescript/bin/tsc')
const EXPECT_ERROR = /^(\s*)\/\/ @ts-expect-error\b.*$/

function compile(project: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [tsc, '-p', project, '--noEmit', '--pretty', 'false'], { cwd: root, encoding: 'utf8', timeout: 60_000 })
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

test('the fixtures compile: every wrong event name, payload, reply and push is caught where expected', () => {
  const { status, output } = compile(join(fixtures, 'tsconfig.json'))
  assert.equal(status, 0, output)
})

test('the expected errors are real: without the @ts-expect-error lines, exactly those lines fail to compile', () => {
  // A copy inside the package (dist/) so `gangway-ws` still resolves to this package; line numbers are kept.
  const copy = join(root, 'dist/test/fixtures-unexpected/client-types')
  rmSync(copy, { recursive: true, force: true })
  mkdirSync(copy, { recursive: true })
  cpSync(join(fixtures, 'tsconfig.json'), join(copy, 'tsconfig.json'))
  const expected = new Set<string>()
  for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.ts'))) {
    const lines = readFileSync(join(fixtures, file), 'utf8').split('\n')
    const stripped = lines.map((line, index) => {
      if (!EXPECT_ERROR.test(line)) return line
      expected.add(`${file}(${index + 2})`) // the line after the directive, 1-based
      return line.replace(EXPECT_ERROR, '$1// (expectation removed)')
    })
    writeFileSync(join(copy, file), stripped.join('\n'))
  }
  assert.ok(expected.size >= 12, `the fixtures hold ${expected.size} expectations`)

  const { status, output } = compile(join(copy, 'tsconfig.json'))
  assert.notEqual(status, 0, 'the copy without expectations must not compile')
  const failing = new Set([...output.matchAll(/([\w-]+\.ts)\((\d+),\d+\): error TS\d+/g)].map(([, file, line]) => `${file}(${line})`))
  assert.deepEqual([...failing].sort(), [...expected].sort(), output)
  rmSync(copy, { recursive: true, force: true })
})

test('the demo page type-checks against gangway-ws/client with DOM types and the browser condition', () => {
  const { status, output } = compile(join(root, 'demo/public/tsconfig.json'))
  assert.equal(status, 0, output)
})
