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
