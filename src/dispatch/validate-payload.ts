import type { StandardSchemaV1 } from '@standard-schema/spec'

/** The outcome of validating one payload. */
export type ValidationOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string }

/**
 * Validates `data` against a Standard Schema (zod, valibot, arktype, ...).
 * Synchronous schemas answer synchronously; only async ones cost a promise.
 */
export function validatePayload(schema: StandardSchemaV1, data: unknown): ValidationOutcome | Promise<ValidationOutcome> {
  const result = schema['~standard'].validate(data)
  return result instanceof Promise ? result.then(toOutcome) : toOutcome(result)
}

function toOutcome(result: StandardSchemaV1.Result<unknown>): ValidationOutcome {
  if (!result.issues) return { ok: true, value: result.value }
  return { ok: false, message: describeIssues(result.issues) }
}

/** `room: Expected string, received number` — the first issue, with its path; more are counted. */
export function describeIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): string {
  const first = issues[0]
  if (!first) return 'Invalid payload'
  const path = formatPath(first.path)
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? 's' : ''})` : ''
  return `${path ? `${path}: ` : ''}${truncate(first.message, 200)}${more}`
}

function formatPath(path: StandardSchemaV1.Issue['path']): string {
  if (!path || path.length === 0) return 'data'
  let out = 'data'
  for (const segment of path) {
    const key = typeof segment === 'object' ? segment.key : segment
    out += typeof key === 'number' ? `[${key}]` : `.${truncate(String(key), 64)}`
  }
  return out
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}
