import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ERROR_CODES } from '../src/index.js'

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')

test('docs/errors.md documents exactly the codes in the registry, with their details', () => {
  const rows = new Map<string, string[]>()
  for (const line of doc.split('\n')) {
    const match = line.match(/^\| `([A-Z_]+)` \|(.*)\|$/)
    if (match) rows.set(match[1]!, match[2]!.split('|').map((cell) => cell.trim()))
  }
  assert.deepEqual([...rows.keys()].sort(), Object.keys(ERROR_CODES).sort(), 'run `npm run docs:errors` to regenerate the table')
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    const [wire, status, close, description] = rows.get(code)!
    assert.equal(wire, info.wire ? 'yes' : 'no', code)
    assert.equal(status, String('status' in info ? info.status : ''), code)
    assert.equal(close, String('closeCode' in info ? info.closeCode : ''), code)
    assert.equal(description, info.description, code)
  }
})
