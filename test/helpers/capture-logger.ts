import type { Logger } from '../../src/index.js'

/** One captured log entry. */
export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error'
  obj: Record<string, unknown>
  msg: string | undefined
}

/** A logger that records entries so tests can assert on what was logged. */
export function captureLogger(): Logger & { entries: LogEntry[]; text(): string } {
  const entries: LogEntry[] = []
  const at = (level: LogEntry['level']) => (obj: object, msg?: string) => void entries.push({ level, obj: obj as Record<string, unknown>, msg })
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => entries.map((e) => JSON.stringify({ ...e.obj, err: describe(e.obj.err), msg: e.msg })).join('\n'),
  }
}

function describe(err: unknown): unknown {
  return err instanceof Error ? { message: err.message, stack: err.stack } : err
}
