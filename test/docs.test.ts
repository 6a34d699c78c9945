import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { brokerSkipReason } from '../src/testing/index.js'

// Every ```ts test``` block of docs/*.md and README.md is a complete program: it is
// compiled with the project's settings (importing gangway and its subpaths by
// name) and run with a 30 s limit; it must exit 0. A block marked ```ts test nest```
// is compiled the way Nest apps are: CommonJS, experimentalDecorators,
// emitDecoratorMetadata. A block that reads AMQP_URL, NATS_URL or REDIS_URL needs
// that broker: outside CI it is skipped when the broker is not reachable.

const root = fileURLToPath(new URL('../..', import.meta.url))
const work = join(root, 'test', 'artifacts', 'docs')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const RUN_LIMIT_MS = 30_000

interface Snippet {
  readonly source: string // e.g. docs/protocol.md:42
  readonly brokers: ReadonlyArray<'amqp' | 'nats' | 'redis'>
  readonly file: string // the .ts/.cts written
  readonly output: string // the compiled .js/.cjs
  readonly nest: boolean
}

function extract(): Snippet[] {
  const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
  const snippets: Snippet[] = []
  for (const page of pages) {
    const lines = readFileSync(join(root, page), 'utf8').split('\n')
    for (let i = 0; i < lines.length; i++) {
      const open = /^```ts\s+test(?:\s+(\w+))?\s*$/.exec(lines[i]!)
      if (!open) continue
      const start = i + 1
      const body: string[] = []
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!)
      assert.ok(i < lines.length, `${page}:${start}: unterminated code block`)
      if (open[1] !== undefined && open[1] !== 'nest') assert.fail(`${page}:${start}: unknown flag "${open[1]}" (only "nest")`)
      const nest = open[1] === 'nest'
      const name = `${page.replace(/[^A-Za-z0-9]+/g, '-')}-L${start}`
      const file = join(work, nest ? 'nest' : 'esm', `${name}.${nest ? 'cts' : 'ts'}`)
      const output = join(work, 'out', nest ? 'nest' : 'esm', `${name}.${nest ? 'cjs' : 'js'}`)
      const brokers = (['amqp', 'nats', 'redis'] as const).filter((kind) => body.some((line) => line.includes(`process.env.${kind.toUpperCase()}_URL`)))
      snippets.push({ source: `${page}:${start}`, brokers, file, output, nest })
      mkdirSync(join(work, nest ? 'nest' : 'esm'), { recursive: true })
      // Keep the block's line numbers: compiler errors point into the page.
      writeFileSync(file, `${'\n'.repeat(start)}${body.join('\n')}\n`)
    }
  }
  return snippets
}

/** Compiles one group; returns compiler diagnostics by snippet file. */
function compile(group: 'esm' | 'nest'): Map<string, string[]> {
  const config = join(work, `tsconfig.${group}.json`)
  const compilerOptions: Record<string, unknown> = { rootDir: group, outDir: `out/${group}`, sourceMap: false, declaration: false, declarationMap: false, noEmitOnError: false }
  if (group === 'nest') Object.assign(compilerOptions, { experimentalDecorators: true, emitDecoratorMetadata: true, verbatimModuleSyntax: false })
  writeFileSync(config, JSON.stringify({ extends: relative(work, join(root, 'tsconfig.json')), compilerOptions, include: [`${group}/*`], exclude: [] }, null, 2))
  const result = spawnSync(process.execPath, [tsc, '-p', config, '--pretty', 'false'], { cwd: work, encoding: 'utf8' })
  const errors = new Map<string, string[]>()
  for (const line of `${result.stdout}${result.stderr}`.split('\n')) {
    const match = /^(.+?\.c?ts)\(\d+,\d+\): error/.exec(line)
    if (!match) continue
    const file = join(work, match[1]!)
    errors.set(file, [...(errors.get(file) ?? []), line])
  }
  return errors
}

function run(file: string): Promise<{ code: number | null; signal: string | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL' })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('close', (code, signal) => resolve({ code, signal, output }))
  })
}

rmSync(work, { recursive: true, force: true })
const snippets = extract()
const errors = new Map([...compile('esm'), ...(snippets.some((s) => s.nest) ? compile('nest') : [])])

test('the docs have runnable snippets', () => {
  assert.ok(snippets.length >= 5, `only ${snippets.length} runnable blocks found`)
})

for (const snippet of snippets) {
  const skip = (await Promise.all(snippet.brokers.map(brokerSkipReason))).find((reason) => reason !== undefined)
  test(`${snippet.source} compiles and runs`, { timeout: RUN_LIMIT_MS + 5000, skip }, async () => {
    const problems = errors.get(snippet.file)
    assert.equal(problems, undefined, `does not compile:\n${problems?.map((p) => p.replace(relative(work, snippet.file), snippet.source.split(':')[0]!)).join('\n')}`)
    const { code, signal, output } = await run(snippet.output)
    assert.equal(signal, null, `killed by ${signal} (limit ${RUN_LIMIT_MS} ms):\n${output}`)
    assert.equal(code, 0, `exited ${code}:\n${output}`)
  })
}

// Pages other branches are writing; links to them are checked once they exist.
const PAGES_FROM_OTHER_BRANCHES = new Set(['docs/errors.md', 'docs/client.md', 'docs/scaling.md', 'docs/bridge.md'])

test('relative links in the docs point at files and headings that exist', () => {
  const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]
  const broken: string[] = []
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8').replace(/^```[\s\S]*?^```/gm, '')
    for (const [, href] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(href!)) continue
      const [path, anchor] = href!.split('#') as [string, string | undefined]
      const target = path === '' ? page : join(page, '..', path).replace(/\\/g, '/')
      if (PAGES_FROM_OTHER_BRANCHES.has(target) && !existsSync(join(root, target))) continue
      if (!existsSync(join(root, target))) {
        broken.push(`${page}: ${href} (no ${target})`)
        continue
      }
      if (anchor && target.endsWith('.md')) {
        const slugs = [...readFileSync(join(root, target), 'utf8').matchAll(/^#+ (.+)$/gm)].map(([, h]) =>
          h!.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'),
        )
        if (!slugs.includes(anchor)) broken.push(`${page}: ${href} (no heading #${anchor})`)
      }
    }
  }
  assert.deepEqual(broken, [])
})
