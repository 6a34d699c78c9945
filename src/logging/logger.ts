/**
 * The logging surface gangway writes to. It is the subset of pino's API gangway
 * uses, so a pino instance (or anything shaped like one) can be passed as is.
 */
export interface Logger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

const SEVERITY: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity }

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
})

/**
 * A small pino-style logger writing one JSON line per entry to stderr, used when
 * no logger is passed. Errors are reduced to name, message, code and stack so
 * nothing else from an error object (a request, a token) ends up in the log.
 *
 * @param level the lowest level written. @default 'warn'
 */
export function createConsoleLogger(level: LogLevel = 'warn'): Logger {
  const min = SEVERITY[level]
  const write = (lvl: Exclude<LogLevel, 'silent'>) => (obj: object, msg?: string) => {
    if (SEVERITY[lvl] < min) return
    const line = { level: lvl, time: Date.now(), ...obj, ...(msg === undefined ? {} : { msg }) }
    process.stderr.write(safeStringify(line) + '\n')
  }
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}

function safeStringify(value: object): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? serializeError(v) : v))
  } catch {
    return JSON.stringify({ level: 'error', msg: 'unserializable log entry' })
  }
}

/**
 * What gangway logs of a thrown value: for an Error its name, message, code,
 * stack and cause, never its other properties (an HTTP client's error carries
 * the request, with its `Authorization` header; pino's serializer would log it).
 */
export function loggableError(err: unknown): Record<string, unknown> {
  return err instanceof Error ? serializeError(err) : { type: typeof err, message: typeof err === 'string' ? err : 'a non-Error value was thrown' }
}

/** The fields of an error worth logging. */
export function serializeError(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack }
  const code = (err as { code?: unknown }).code
  if (code !== undefined) out.code = code
  if (err.cause instanceof Error) out.cause = serializeError(err.cause)
  return out
}

/** The level of the default logger: `GANGWAY_LOG_LEVEL` when set, else `warn`. */
export function defaultLogLevel(): LogLevel {
  const fromEnv = process.env.GANGWAY_LOG_LEVEL
  return fromEnv !== undefined && fromEnv in SEVERITY ? (fromEnv as LogLevel) : 'warn'
}
