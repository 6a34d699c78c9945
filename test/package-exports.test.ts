import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { exports: Record<string, unknown>; bin: Record<string, string> }
const entries = Object.keys(pkg.exports).filter((key) => key !== './package.json')

test('every entry loads with require() from CommonJS (Node ≥ 20.19 runs ESM without top-level await that way)', () => {
  // A separate process in CommonJS mode, resolving the package by name as an app would.
  const script = entries.map((key) => `require(${JSON.stringify(`gangway-ws${key.slice(1)}`)})`).join(';')
  const check = `${script}; const { GangwayModule } = require('gangway-ws/nest'); const { Gateway } = require('gangway-ws');` +
    `if (typeof GangwayModule.forRoot !== 'function' || typeof Gateway !== 'function') process.exit(3)`
  const result = spawnSync(process.execPath, ['--input-type=commonjs', '-e', check], { cwd: root, encoding: 'utf8' })
  assert.equal(result.status, 0, result.stderr)
  assert.doesNotMatch(result.stderr, /ExperimentalWarning|ERR_REQUIRE_ASYNC_MODULE/)
})

test('every entry has types, import and a require-able condition, pointing at built files', () => {
  for (const key of entries) {
    const entry = pkg.exports[key] as Record<string, string>
    assert.equal(Object.keys(entry)[0], 'types', `${key}: "types" must come first`)
    // Without "default" (or "require"), require() finds no matching condition: ERR_PACKAGE_PATH_NOT_EXPORTED.
    const cjs = entry.default ?? entry.require
    assert.equal(cjs, entry.import, `${key}: add "default": "${entry.import}" so CommonJS apps (NestJS) can require() it`)
    for (const file of Object.values(entry)) assert.ok(statSync(`${root}/${file}`).isFile(), `${key}: ${file}`)
  }
})

test('the gangway-ws bin is an executable script with a shebang', () => {
  const bin = readFileSync(`${root}/${pkg.bin['gangway-ws']}`, 'utf8')
  assert.match(bin, /^#!\/usr\/bin\/env node\n/)
  const help = spawnSync(process.execPath, [`${root}/${pkg.bin['gangway-ws']}`, '--help'], { encoding: 'utf8' })
  assert.equal(help.status, 0)
  assert.match(help.stdout, /gangway-ws asyncapi <module\.js>/)
})
