import { AsyncLocalStorage } from 'node:async_hooks'
import type { Client } from '../contracts/client-server.js'

/**
 * The connection a dispatch runs for, re-installed around every dispatch so
 * code deep in a service can read it without threading it through calls. Only
 * used when the app captures a `context`: on Node 20 an active
 * AsyncLocalStorage slows every promise in the process.
 */
const storage = new AsyncLocalStorage<Client>()

/** Runs `fn` with `client` as the ambient connection. */
export function runWithClient<A extends unknown[], R>(client: Client, fn: (...args: A) => R, ...args: A): R {
  return storage.run(client, fn, ...args)
}

/** The connection whose frame is being handled, when the app captures a `context`. */
export function currentClient<User = unknown>(): Client<User> | undefined {
  return storage.getStore() as Client<User> | undefined
}

/**
 * The per-connection state captured by the app's `context` option at upgrade,
 * available anywhere below a handler or hook (across awaits).
 *
 * @example
 * const app = createGateway({ gateways, context: (h) => ({ tenant: h.headers['x-tenant'] }) })
 * // deep in a service:
 * const { tenant } = currentContext<{ tenant: string }>()!
 */
export function currentContext<T = unknown>(): T | undefined {
  return storage.getStore()?.context as T | undefined
}
