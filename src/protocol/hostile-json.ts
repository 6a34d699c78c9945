/**
 * Checks on client JSON that `JSON.parse` alone does not make. `JSON.parse` never
 * invokes the `__proto__` setter, but the own `__proto__` key it creates pollutes
 * `Object.prototype` the moment user code merges the value into another object;
 * and `JSON.stringify` recurses, so echoing a deeply nested value throws
 * `RangeError`. Both checks run on the raw text before parsing.
 */

const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * The deepest nesting of objects and arrays in `text`, stopping early once
 * `limit` is exceeded. Brackets inside strings are skipped.
 */
export function nestingDepthExceeds(text: string, limit: number): boolean {
  // A value nested deeper than `limit` needs more than 2 * limit characters.
  if (text.length <= 2 * limit) return false
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) {
      inString = true
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--
    }
  }
  return false
}

/** What `findForbiddenKey` reports. */
export type ForbiddenKey = '__proto__' | 'constructor.prototype'

/**
 * The first prototype-polluting key in a parsed value, if any: a `__proto__` key
 * anywhere, or a `prototype` key inside a `constructor` key. Only walked when the
 * raw text mentions one of them, or has a `\u` escape that could spell one
 * (`"\u005f_proto__"` parses to `__proto__`), so ordinary frames pay a few
 * substring searches.
 */
export function findForbiddenKey(text: string, value: unknown): ForbiddenKey | undefined {
  if (!text.includes('__proto__') && !text.includes('prototype') && !text.includes('\\u')) return undefined
  return walk(value, false)
}

function walk(value: unknown, parentIsConstructor: boolean): ForbiddenKey | undefined {
  // Iterative over siblings, recursive over depth; depth is already bounded.
  if (typeof value !== 'object' || value === null) return undefined
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = walk(item, false)
      if (found) return found
    }
    return undefined
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return '__proto__'
    if (parentIsConstructor && key === 'prototype') return 'constructor.prototype'
    const found = walk((value as Record<string, unknown>)[key], key === 'constructor')
    if (found) return found
  }
  return undefined
}
