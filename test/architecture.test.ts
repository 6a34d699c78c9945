import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { types?: string; import?: string; require?: string } | string>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
}

/** Folders under src/ that are public subpaths: those with an index.ts. */
const subpathFolders = readdirSync(join(root, 'src')).filter((name) => existsSync(join(root, 'src', name, 'index.ts')))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : []
  })
}

/** Every module specifier a file imports or re-exports (type-only imports and `import()` included). */
function imports(file: string): string[] {
  // Comments go first: an `@example` showing `import ... from 'gangway-ws'` is not an import.
  const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  return [...source.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g), ...source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!)
}

test('the exports map and src/*/index.ts agree, with types and import for every entry', () => {
  const entries = Object.keys(pkg.exports).filter((key) => key !== '.' && key !== './package.json')
  assert.deepEqual(entries.map((key) => key.slice(2)).sort(), subpathFolders.sort(), 'one exports entry per src/<folder>/index.ts')
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (key === './package.json') continue
    assert.equal(typeof target, 'object', key)
    const { types, import: esm } = target as { types?: string; import?: string }
    const folder = key === '.' ? '' : `${key.slice(2)}/`
    assert.equal(types, `./dist/src/${folder}index.d.ts`, `${key} types`)
    assert.equal(esm, `./dist/src/${folder}index.js`, `${key} import`)
    assert.ok(existsSync(join(root, esm!)), `${esm} is built`)
    assert.ok(existsSync(join(root, types!)), `${types} is built`)
  }
})

test('core never imports from a subpath folder', () => {
  const coreFiles = sourceFiles(join(root, 'src')).filter((file) => !subpathFolders.some((folder) => file.startsWith(join(root, 'src', folder) + '/')))
  for (const file of coreFiles) {
    for (const specifier of imports(file)) {
      for (const folder of subpathFolders) {
        assert.ok(!new RegExp(`(^|/)${folder}/`).test(specifier) || !specifier.startsWith('.'), `${relative(root, file)} imports ${specifier} from subpath ${folder}`)
      }
    }
  }
})

test('an optional peer dependency is imported only from its own subpath folder', () => {
  const optional = Object.keys(pkg.peerDependenciesMeta ?? {}).filter((name) => pkg.peerDependenciesMeta![name]!.optional)
  const runtime = new Set(Object.keys(pkg.dependencies ?? {}))
  for (const file of sourceFiles(join(root, 'src'))) {
    const folder = relative(join(root, 'src'), file).split('/')[0]!
    for (const specifier of imports(file)) {
      if (specifier.startsWith('.') || specifier.startsWith('node:')) continue
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!
      if (runtime.has(name)) continue
      assert.ok(optional.includes(name), `${relative(root, file)} imports ${name}, which is neither a dependency nor an optional peer`)
      assert.ok(subpathFolders.includes(folder), `${relative(root, file)} (core) imports the optional peer ${name}`)
    }
  }
})

// ---------------------------------------------------------------------------------------------
// The layering of docs/architecture.md: floors, no cycles, no mutual folders, two entries.

const srcRoot = join(root, 'src')
const coreSourceFiles = sourceFiles(srcRoot)

/** The unit a file belongs to: its folder under src/, or the file itself when it lies directly in src/. */
function unitOf(file: string): string {
  const [first, second] = relative(srcRoot, file).split('/')
  return second === undefined ? first! : first!
}

/** The src/ files a file imports (relative specifiers only), as absolute .ts paths. */
function localImports(file: string): string[] {
  return imports(file)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => join(file, '..', specifier).replace(/\.js$/, '.ts'))
}

/** Floor number by unit, read from the ```floors block of docs/architecture.md. */
function readFloors(): Map<string, number> {
  const page = readFileSync(join(root, 'docs/architecture.md'), 'utf8')
  const block = /```floors\n([\s\S]*?)```/.exec(page)
  assert.ok(block, 'docs/architecture.md has no ```floors block')
  const floors = new Map<string, number>()
  for (const line of block[1]!.trim().split('\n')) {
    const match = /^(\d+):\s*(.+)$/.exec(line.trim())
    assert.ok(match, `docs/architecture.md: unreadable floor line ${JSON.stringify(line)}`)
    for (const unit of match[2]!.split(/\s+/)) {
      assert.ok(!floors.has(unit), `docs/architecture.md places ${unit} on two floors`)
      floors.set(unit, Number(match[1]))
    }
  }
  return floors
}

test('every folder and top-level file of src/ stands on a floor of docs/architecture.md', () => {
  const floors = readFloors()
  const units = new Set(coreSourceFiles.map(unitOf))
  for (const unit of units) assert.ok(floors.has(unit), `src/${unit} is on no floor: place it in the floors block of docs/architecture.md`)
  for (const unit of floors.keys()) assert.ok(units.has(unit), `docs/architecture.md places ${unit}, which is not in src/`)
})

test('no import climbs a floor or stays on its floor across folders', () => {
  const floors = readFloors()
  const violations: string[] = []
  for (const file of coreSourceFiles) {
    const from = unitOf(file)
    for (const target of localImports(file)) {
      const to = unitOf(target)
      if (to === from) continue
      if (floors.get(to)! >= floors.get(from)!) {
        violations.push(`${relative(root, file)} (floor ${floors.get(from)}) imports ${relative(root, target)} (floor ${floors.get(to)})`)
      }
    }
  }
  assert.deepEqual(violations, [])
})

test('no two folders import each other', () => {
  const edges = new Map<string, string>()
  for (const file of coreSourceFiles) {
    for (const target of localImports(file)) {
      const from = unitOf(file)
      const to = unitOf(target)
      if (from !== to) edges.set(`${from} -> ${to}`, `${relative(root, file)} -> ${relative(root, target)}`)
    }
  }
  const mutual: string[] = []
  for (const [edge, example] of edges) {
    const [from, to] = edge.split(' -> ')
    if (from! < to! && edges.has(`${to} -> ${from}`)) mutual.push(`${from} <-> ${to}: ${example} and ${edges.get(`${to} -> ${from}`)}`)
  }
  assert.deepEqual(mutual, [])
})

test('no files import each other in a cycle, type imports included', () => {
  const graph = new Map(coreSourceFiles.map((file) => [file, localImports(file).filter((target) => existsSync(target))]))
  // Tarjan's strongly connected components: any component of two or more files is a cycle.
  let index = 0
  const order = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const visit = (file: string): void => {
    order.set(file, index)
    low.set(file, index++)
    stack.push(file)
    onStack.add(file)
    for (const next of graph.get(file) ?? []) {
      if (!order.has(next)) {
        visit(next)
        low.set(file, Math.min(low.get(file)!, low.get(next)!))
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, order.get(next)!))
      }
    }
    if (low.get(file) === order.get(file)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(relative(root, member))
      } while (member !== file)
      if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort())
    }
  }
  for (const file of graph.keys()) if (!order.has(file)) visit(file)
  assert.deepEqual(cycles, [])
})

test('subpaths reach core only through index.ts and internal.ts (the client also through the pure errors/)', () => {
  const stray: string[] = []
  for (const folder of subpathFolders) {
    for (const file of sourceFiles(join(srcRoot, folder))) {
      for (const target of localImports(file)) {
        const to = relative(srcRoot, target)
        if (to.startsWith(`${folder}/`) || to === 'index.ts' || to === 'internal.ts') continue
        if (folder === 'client' && to.startsWith('errors/')) continue
        stray.push(`${relative(root, file)} imports src/${to}`)
      }
    }
  }
  assert.deepEqual(stray, [])
})

test('the main entry exports the user API, not the plumbing; internal.ts is not in the exports map', () => {
  const main = readFileSync(join(srcRoot, 'index.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const exported = new Set(
    [...main.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((m) => m[1]!.split(',').map((name) => name.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()!).filter(Boolean)),
  )
  const plumbing = [
    'LinkState',
    'LinkPhase',
    'BrokerLink',
    'textFramePayload',
    'encodeTextFrameFromBytes',
    'InProcessBus',
    'InProcessBroker',
    'ConsumeOptions',
    'Delivery',
    'RequestInfo',
    'PushSink',
    'BrokerStateTracker',
    'reconnectDelay',
    'settleWithin',
  ]
  assert.deepEqual(plumbing.filter((name) => exported.has(name)), [], 'plumbing exported from gangway-ws')
  assert.ok(!Object.keys(pkg.exports).some((key) => key.includes('internal')), 'internal.ts must not be an entry of the exports map')
  assert.match(readFileSync(join(srcRoot, 'internal.ts'), 'utf8'), /@internal/)
})
