import assert from 'node:assert/strict'
import { test } from 'node:test'
import { nestingDepthExceeds } from './hostile-json.js'

// The character-by-character scan nestingDepthExceeds replaced (its pre-checks and string skipping
// must not change a single answer): brackets inside strings do not count, a backslash in a string
// escapes the next character.
function reference(text: string, limit: number): boolean {
  if (text.length <= 2 * limit) return false
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') {
      inString = true
    } else if (c === '{' || c === '[') {
      if (++depth > limit) return true
    } else if (c === '}' || c === ']') {
      depth--
    }
  }
  return false
}

function nested(depth: number, inner = '1'): string {
  let text = inner
  for (let i = 0; i < depth; i++) text = i % 2 === 0 ? `[${text}]` : `{"k":${text}}`
  return text
}

test('frames nested up to the limit pass, one level deeper fails', () => {
  for (const limit of [1, 2, 5, 64]) {
    assert.equal(nestingDepthExceeds(nested(limit, JSON.stringify('x'.repeat(300))), limit), false)
    assert.equal(nestingDepthExceeds(nested(limit + 1, ' '.repeat(300)), limit), true)
  }
})

test('brackets inside strings, escaped quotes and backslashes do not count', () => {
  const brackets = '['.repeat(100)
  assert.equal(nestingDepthExceeds(JSON.stringify({ text: brackets }), 10), false)
  assert.equal(nestingDepthExceeds(JSON.stringify({ text: `say \\"${brackets}\\" and \\\\` }), 10), false)
  // An escaped backslash ends the string: what follows is structure again.
  assert.equal(nestingDepthExceeds(`{"a":"\\\\",${'"b":['.repeat(12)}1${']'.repeat(12)}}`, 10), true)
  // An unterminated string hides everything after it, as the old scan did.
  assert.equal(nestingDepthExceeds(`{"a":"${'['.repeat(50)}`, 10), false)
})

test('answers exactly as the character-by-character scan on random input', () => {
  const alphabet = ['{', '}', '[', ']', '"', '\\', 'a', ',', ':', ' ', '"', '[', '{']
  let seed = 0x2545f491
  const random = (n: number) => {
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) % n
  }
  for (let round = 0; round < 20_000; round++) {
    const length = random(300)
    let text = ''
    for (let i = 0; i < length; i++) text += alphabet[random(alphabet.length)]
    const limit = 1 + random(70)
    assert.equal(nestingDepthExceeds(text, limit), reference(text, limit), `limit ${limit}: ${JSON.stringify(text)}`)
  }
  for (let round = 0; round < 2_000; round++) {
    const limit = 1 + random(20)
    const text = nested(random(2 * limit + 2), JSON.stringify({ s: 'x\\"['.repeat(random(40)), t: '\\'.repeat(random(5)) }))
    assert.equal(nestingDepthExceeds(text, limit), reference(text, limit), `limit ${limit}: ${text}`)
  }
})
