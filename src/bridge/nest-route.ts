/**
 * NestJS's `transformPatternToRoute` (`@nestjs/microservices` 12,
 * `utils/transform-pattern.utils.js`), ported exactly: the string a message
 * pattern becomes on the wire (a Redis channel, a NATS subject) and in a NestJS
 * server's handler table. Objects get their keys sorted with `localeCompare`
 * (not code-point order: `_z, 1, a, b, B, Z`), string values quoted, everything
 * else interpolated, arrays as objects, no spaces.
 *
 * @example
 * nestRoute({ role: 'user', cmd: 'get', v: 1.5 }) // '{"cmd":"get","role":"user","v":1.5}'
 */
export function nestRoute(pattern: unknown, depth = 0): string {
  if (typeof pattern === 'string' || typeof pattern === 'number') return `${pattern}`
  if (pattern === null || pattern === undefined || typeof pattern !== 'object') return `${String(pattern)}`
  if (depth > MAX_DEPTH) return '[MAX_DEPTH_REACHED]'
  const keys = Object.keys(pattern)
  if (keys.length > MAX_KEYS) return '[TOO_MANY_KEYS]'
  const parts = keys
    .sort((a, b) => ('' + a).localeCompare(b))
    .map((key) => {
      const value = (pattern as Record<string, unknown>)[key]
      const head = `"${escape(key)}":`
      return typeof value === 'string' ? `${head}"${escape(nestRoute(value, depth + 1))}"` : head + nestRoute(value, depth + 1)
    })
  return `{${parts.join(',')}}`
}

/**
 * The route of a pattern as a NestJS server finds it in a RabbitMQ message's
 * body (`getPatternAsString`, then `getRouteFromPattern`): a string that is JSON
 * is parsed first, so `'{"b":1,"a":2}'` and `{ a: 2, b: 1 }` meet on one route.
 */
export function nestRouteOfBodyPattern(pattern: unknown): string {
  let text: string
  try {
    text = typeof pattern === 'string' ? pattern : (JSON.stringify(pattern) ?? String(pattern))
  } catch {
    return 'UNSERIALIZABLE_PATTERN'
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = text
  }
  return nestRoute(parsed)
}

const MAX_DEPTH = 5
const MAX_KEYS = 20

function escape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')
}
