import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { asyncApiDocument, type AsyncApiOptions, type AsyncApiServer } from '../asyncapi/asyncapi-document.js'
import { definitionOfAny, isGatewayDefinition } from '../asyncapi/gateway-definitions.js'
import { hasDefinition } from '../definition/define-gateway.js'
import type { GatewayDefinition } from '../definition/gateway-definition.js'
import { exploreGateway } from '../decorators/explore-gateway.js'
import { GatewayError } from '../errors/gateway-error.js'

export const ASYNCAPI_USAGE = `Usage: gangway-ws asyncapi <module.js>... [options]

Writes the AsyncAPI 3.0 document of the gateways the modules export: a
GatewayApp, @Gateway classes or instances, defineGateway() builders (arrays too).
A module may also export "asyncApiOptions" (see AsyncApiOptions) to document
pushes and replies. Point it at compiled JavaScript that defines gateways,
not at the entry point that starts your server.

Options:
  --out <file>           write to a file instead of stdout
  --title <text>         info.title        (default: package.json "name")
  --version <semver>     info.version      (default: package.json "version")
  --description <text>   info.description
  --server <ws-url>      a server, e.g. wss://chat.example.com (repeatable)
  --hello                document the hello frame sent on connect
  --compact              one line of JSON instead of indented
  -h, --help             this help`

/** Runs `gangway-ws asyncapi`; returns the exit code. */
export async function asyncApiCommand(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      title: { type: 'string' },
      version: { type: 'string' },
      description: { type: 'string' },
      server: { type: 'string', multiple: true },
      hello: { type: 'boolean' },
      compact: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    out.write(`${ASYNCAPI_USAGE}\n`)
    return 0
  }
  if (positionals.length === 0) throw new GatewayError('INVALID_ARGUMENT', 'name at least one module')

  const definitions: GatewayDefinition[] = []
  let hello: boolean | undefined
  let moduleOptions: AsyncApiOptions = {}
  for (const file of positionals) {
    const loaded = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>
    for (const [name, value] of Object.entries(loaded)) {
      if (name === 'asyncApiOptions' && typeof value === 'object' && value !== null) {
        moduleOptions = { ...moduleOptions, ...(value as AsyncApiOptions) }
        continue
      }
      for (const item of Array.isArray(value) ? value : [value]) {
        const app = item as { gateways?: unknown; options?: { hello?: boolean } }
        if (typeof item === 'object' && item !== null && Array.isArray(app.gateways) && app.gateways.every(isGatewayDefinition)) {
          definitions.push(...(app.gateways as GatewayDefinition[]))
          hello ??= app.options?.hello
        } else if (describesGateway(item)) {
          definitions.push(definitionOfAny(item as object))
        }
      }
    }
  }
  if (definitions.length === 0) throw new GatewayError('INVALID_ARGUMENT', `no gateway is exported by ${positionals.join(', ')}`)

  const pkg = await readPackage()
  const document = asyncApiDocument(definitions, {
    ...moduleOptions,
    title: values.title ?? moduleOptions.title ?? pkg.name,
    version: values.version ?? moduleOptions.version ?? pkg.version,
    ...(values.description ? { description: values.description } : {}),
    ...(values.server ? { servers: Object.fromEntries(values.server.map((url, i) => [`server${i + 1}`, parseServer(url)])) } : {}),
    hello: values.hello ?? moduleOptions.hello ?? hello ?? false,
  })
  const text = JSON.stringify(document, null, values.compact ? undefined : 2) + '\n'
  if (values.out) await writeFile(values.out, text)
  else await new Promise<void>((done, fail) => out.write(text, (err) => (err ? fail(err) : done())))
  return 0
}

function describesGateway(value: unknown): boolean {
  if (isGatewayDefinition(value) || hasDefinition(value)) return true
  if (typeof value === 'function') {
    if (typeof value.prototype !== 'object' || value.prototype === null) return false
    try {
      return exploreGateway(Object.create(value.prototype as object) as object) !== undefined
    } catch {
      return true // decorated, with field handlers: definitionOfAny explains
    }
  }
  return typeof value === 'object' && value !== null && exploreGateway(value) !== undefined
}

function parseServer(url: string): AsyncApiServer {
  const match = /^(wss?):\/\/([^/]+)/.exec(url)
  if (match) return { protocol: match[1] as 'ws' | 'wss', host: match[2]! }
  return { host: url }
}

async function readPackage(): Promise<{ name: string | undefined; version: string | undefined }> {
  try {
    const pkg = JSON.parse(await readFile(resolve('package.json'), 'utf8')) as { name?: unknown; version?: unknown }
    return { name: typeof pkg.name === 'string' ? pkg.name : undefined, version: typeof pkg.version === 'string' ? pkg.version : undefined }
  } catch {
    return { name: undefined, version: undefined }
  }
}
