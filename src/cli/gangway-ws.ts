#!/usr/bin/env node
import { ASYNCAPI_USAGE, asyncApiCommand } from './asyncapi-command.js'

const USAGE = `Usage: gangway-ws <command>

Commands:
  asyncapi   write the AsyncAPI 3.0 document of your gateways

${ASYNCAPI_USAGE}`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === 'asyncapi') return asyncApiCommand(rest)
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return command === undefined ? 2 : 0
  }
  process.stderr.write(`gangway-ws: unknown command "${command}"\n\n${USAGE}\n`)
  return 2
}

main(process.argv.slice(2)).then(
  // Exit explicitly: a user's module may hold timers or sockets open.
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err)
    process.stderr.write(`gangway-ws: ${message}\n`)
    process.exit(err instanceof Error && (err as { code?: string }).code === 'INVALID_ARGUMENT' ? 2 : 1)
  },
)
