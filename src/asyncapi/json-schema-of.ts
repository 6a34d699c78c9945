import type { StandardSchemaV1 } from '@standard-schema/spec'

/** A JSON Schema object (draft-07, the dialect AsyncAPI 3.0 payloads use by default). */
export type JsonSchema = { readonly [key: string]: unknown }

/** A Standard Schema, or a JSON Schema written by hand. */
export type SchemaLike = StandardSchemaV1 | JsonSchema

/** Converts a Standard Schema to JSON Schema; return `undefined` when it cannot. */
export type JsonSchemaConverter = (schema: StandardSchemaV1) => JsonSchema | undefined

interface StandardJsonSchemaProps {
  readonly jsonSchema?: {
    input?(options: { target: string }): Record<string, unknown>
  }
}

/**
 * The JSON Schema of a payload validator, found in this order: a converter the
 * caller passed; the Standard JSON Schema interface (`~standard.jsonSchema`,
 * zod ≥ 4.2, arktype, valibot's adapter); a `toJSONSchema()` method (zod 4.0–4.1).
 * The *input* side is used: it is what a client must send. Hand-written JSON
 * Schemas pass through. `undefined` when nothing can describe the schema.
 */
export function jsonSchemaOf(schema: SchemaLike | undefined, convert?: JsonSchemaConverter): JsonSchema | undefined {
  if (schema === undefined) return undefined
  const standard = (schema as Partial<StandardSchemaV1>)['~standard']
  if (standard === undefined) return stripDialect(schema as JsonSchema)
  try {
    const converted = convert?.(schema as StandardSchemaV1)
    if (converted) return stripDialect(converted)
    const input = (standard as StandardJsonSchemaProps).jsonSchema?.input
    if (typeof input === 'function') return stripDialect(input.call((standard as StandardJsonSchemaProps).jsonSchema, { target: 'draft-07' }))
    const method = (schema as { toJSONSchema?: (options?: object) => JsonSchema }).toJSONSchema
    if (typeof method === 'function') return stripDialect(method.call(schema, { target: 'draft-7', io: 'input' }))
  } catch {
    // A schema the converter cannot express (a transform, a custom check): document it as any JSON.
  }
  return undefined
}

/** AsyncAPI schemas carry no `$schema` of their own. */
function stripDialect(schema: JsonSchema): JsonSchema {
  if (!('$schema' in schema)) return schema
  const { $schema: _dialect, ...rest } = schema
  return rest
}
