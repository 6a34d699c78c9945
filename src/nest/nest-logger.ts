import { Logger as NestLogger, type LoggerService } from '@nestjs/common'
import type { Logger, LogLevel } from '../index.js'

const SEVERITY: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity }

/**
 * gangway's logger writing through Nest's: lines appear in Nest's format and
 * obey `NestFactory.create(..., { logger })`. The structured fields
 * (`connectionId`, `userId`, `event`, ...) follow the message as JSON.
 * `GangwayModule` uses it when no `logger` option is given.
 *
 * @param logger @default `new Logger('gangway')`
 * @param level the lowest level passed on. @default `GANGWAY_LOG_LEVEL`, else 'warn'
 */
export function nestLogger(logger: LoggerService = new NestLogger('gangway'), level: LogLevel = levelFromEnv()): Logger {
  const min = SEVERITY[level]
  const line = (obj: object, msg: string | undefined) => {
    const fields = safeJson(obj)
    return fields === '{}' ? (msg ?? '') : `${msg ?? ''} ${fields}`
  }
  return {
    debug: (obj, msg) => SEVERITY.debug >= min && (logger.debug ?? logger.log).call(logger, line(obj, msg)),
    info: (obj, msg) => SEVERITY.info >= min && logger.log(line(obj, msg)),
    warn: (obj, msg) => SEVERITY.warn >= min && logger.warn(line(obj, msg)),
    error: (obj, msg) => SEVERITY.error >= min && logger.error(line(obj, msg)),
  } as Logger
}

function levelFromEnv(): LogLevel {
  const value = process.env.GANGWAY_LOG_LEVEL
  return value !== undefined && value in SEVERITY ? (value as LogLevel) : 'warn'
}

function safeJson(obj: object): string {
  try {
    return JSON.stringify(obj)
  } catch {
    return '{"unserializable":true}'
  }
}
