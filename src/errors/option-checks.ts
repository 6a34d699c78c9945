import { GatewayError } from './gateway-error.js'

// The checks every `resolve…Options()` runs, so an impossible option fails at construction
// with one error shape: `CONFIG_INVALID`, naming the option.

/** Throws `CONFIG_INVALID`: `Option "<option>" <problem>`. */
export function invalidOption(option: string, problem: string): never {
  throw new GatewayError('CONFIG_INVALID', `Option "${option}" ${problem}`)
}

export function checkPositiveInteger(option: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) invalidOption(option, `must be a positive integer, got ${String(value)}`)
}

export function checkNonNegativeInteger(option: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) < 0) invalidOption(option, `must be a non-negative integer, got ${String(value)}`)
}

export function checkPositiveNumber(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) invalidOption(option, `must be a positive number, got ${String(value)}`)
}

/** The options object without its `undefined` fields, so spreading it over defaults keeps the defaults. */
export function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

export function checkBoolean(option: string, value: unknown): void {
  if (typeof value !== 'boolean') invalidOption(option, `must be true or false, got ${String(value)}`)
}

export function checkOneOf(option: string, value: unknown, allowed: readonly unknown[]): void {
  if (!allowed.includes(value)) invalidOption(option, `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`)
}

/**
 * A new object with the fields of `defaults`, each taken from `options` where it sets one (to
 * anything but `undefined`). Fields `defaults` does not name are left out, so one flat options
 * object (a factory's) can feed several resolvers; the caller's object is never changed.
 */
export function withDefaults<D extends object>(defaults: D, options: object): { -readonly [K in keyof D]: D[K] } {
  const given = options as Partial<Record<keyof D, unknown>>
  const result = { ...defaults } as { -readonly [K in keyof D]: D[K] }
  for (const key of Object.keys(defaults) as Array<keyof D>) {
    if (given[key] !== undefined) result[key] = given[key] as D[typeof key]
  }
  return result
}

/** A broker prefix (of keys, subjects, queues): 1–100 characters without whitespace or the NATS wildcards. */
export function checkPrefix(option: string, value: unknown): void {
  if (typeof value !== 'string' || !/^[^\s*>]{1,100}$/.test(value)) invalidOption(option, `must be 1-100 characters without whitespace, "*" or ">", got ${JSON.stringify(value)}`)
}

/** Returns `options` when it is an object; throws `CONFIG_INVALID` otherwise (a resolver's first check). */
export function checkOptionsObject<T>(options: T): T {
  if (options === null || typeof options !== 'object') invalidOption('options', 'must be an object')
  return options
}
