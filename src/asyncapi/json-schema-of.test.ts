import assert from 'node:assert/strict'
import { test } from 'node:test'
import { z } from 'zod'
import { jsonSchemaOf } from './json-schema-of.js'

test('zod: the input side, as draft-07, without $schema', () => {
  const schema = z.object({ room: z.string().min(1), limit: z.number().default(10), at: z.string().transform((s) => new Date(s)) })
  assert.deepEqual(jsonSchemaOf(schema), {
    type: 'object',
    properties: { room: { type: 'string', minLength: 1 }, limit: { type: 'number', default: 10 }, at: { type: 'string' } },
    required: ['room', 'at'],
  })
})

test('a hand-written JSON Schema passes through; a converter is tried first; opaque schemas give undefined', () => {
  assert.deepEqual(jsonSchemaOf({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'string' }), { type: 'string' })
  const opaque = { '~standard': { version: 1 as const, vendor: 'x', validate: (value: unknown) => ({ value }) } }
  assert.equal(jsonSchemaOf(opaque), undefined)
  assert.deepEqual(jsonSchemaOf(opaque, () => ({ type: 'integer' })), { type: 'integer' })
  assert.equal(jsonSchemaOf(undefined), undefined)
})

test('a schema the converter cannot express documents as any JSON instead of throwing', () => {
  assert.equal(jsonSchemaOf(z.custom<string>(() => true)), undefined)
  assert.equal(
    jsonSchemaOf(z.string(), () => {
      throw new Error('nope')
    }),
    undefined,
  )
})
