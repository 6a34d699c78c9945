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
