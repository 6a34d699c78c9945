import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkBoolean, checkOneOf, checkOptionsObject, checkPrefix, withDefaults } from './option-checks.js'

test('withDefaults: the defaults’ fields only, each from the options where set (not undefined); neither object changes', () => {
  const defaults = Object.freeze({ a: 1, b: 'x', c: undefined as number | undefined })
  const options = { a: 2, b: undefined, c: 3, extra: true }
  const result = withDefaults(defaults, options)
  assert.deepEqual(result, { a: 2, b: 'x', c: 3 })
  assert.deepEqual(options, { a: 2, b: undefined, c: 3, extra: true })
  assert.deepEqual(defaults, { a: 1, b: 'x', c: undefined })
})

test('the option checks throw CONFIG_INVALID naming the option', () => {
  const invalid = (option: string) => ({ code: 'CONFIG_INVALID', message: new RegExp(`^Option "${option.replace('.', '\\.')}"`) })
  assert.throws(() => checkBoolean('persist', 1), invalid('persist'))
  assert.throws(() => checkOneOf('storage', 'disk', ['file', 'memory']), invalid('storage'))
  assert.throws(() => checkPrefix('prefix', 'a>b'), invalid('prefix'))
  assert.throws(() => checkPrefix('prefix', 'x'.repeat(101)), invalid('prefix'))
  assert.throws(() => checkOptionsObject('nope'), invalid('options'))
  checkBoolean('persist', false)
  checkOneOf('storage', 'file', ['file', 'memory'])
  checkPrefix('prefix', 'gangway-t123.v1:x')
  assert.deepEqual(checkOptionsObject({ a: 1 }), { a: 1 })
})
