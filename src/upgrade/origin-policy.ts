import type { IncomingMessage } from 'node:http'

/**
 * Which browser origins may connect. `'same-origin'` accepts an `Origin` whose host
 * equals the request's `Host`; a list accepts exact matches (scheme, host and port);
 * a function decides. Requests without `Origin` (non-browser clients) pass unless
 * `allowMissingOrigin` is false.
 */
export type OriginPolicy = 'same-origin' | '*' | readonly string[] | ((origin: string, request: IncomingMessage) => boolean)

/**
 * Whether an upgrade request's `Origin` passes the policy. Lists are matched
 * exactly (case-insensitively): `https://app.example.com` admits neither
 * `https://app.example.com.evil.example` nor `http://app.example.com:8080`.
 */
export function isOriginAllowed(policy: OriginPolicy, allowMissing: boolean, request: IncomingMessage): boolean {
  const origin = request.headers.origin
  if (origin === undefined) return allowMissing
  if (policy === '*') return true
  if (typeof policy === 'function') {
    try {
      return policy(origin, request) === true
    } catch {
      return false
    }
  }
  if (policy === 'same-origin') return isSameOrigin(origin, request.headers.host)
  const wanted = origin.toLowerCase()
  return policy.some((allowed) => allowed.toLowerCase() === wanted)
}

function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || origin === 'null') return false
  let parsed: URL
  try {
    parsed = new URL(origin)
  } catch {
    return false
  }
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.host.toLowerCase() === host.toLowerCase()
}
