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
 * Whether `text` nests objects and arrays deeper than `limit`. Brackets inside
 * strings do not count.
 */
export function nestingDepthExceeds(text: string, limit: number): boolean {
  // A value nested deeper than `limit` needs more than 2 * limit characters,
  if (text.length <= 2 * limit) return false
  // and more than `limit` opening brackets. Counting them with indexOf (native, and it skips
  // text runs in bulk) clears nearly every real frame without looking at each character.
  if (!openingBracketsExceed(text, limit)) return false
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      i = closingQuote(text, i)
      if (i === -1) return false // an unterminated string: not deeper, and JSON.parse rejects it
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--
    }
  }
  return false
}

function openingBracketsExceed(text: string, limit: number): boolean {
  let count = 0
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) if (++count > limit) return true
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) if (++count > limit) return true
  return false
}

/** The index of the quote that closes the string opened at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  let at = text.indexOf('"', open + 1)
  while (at !== -1) {
    // Escaped when preceded by an odd number of backslashes.
    let backslashes = 0
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return at
    at = text.indexOf('"', at + 1)
  }
  return -1
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
