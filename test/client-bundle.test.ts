import assert from 'node:assert/strict'
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { test } from 'node:test'
import { build, type Metafile, type Plugin } from 'esbuild'

// Bundles gangway-ws/client by package name, the way a user's bundler sees it (exports map and conditions).
const root = fileURLToPath(new URL('../..', import.meta.url))
const builtins = new Set(builtinModules)

/** Records every import of a Node built-in (and of `ws`) instead of failing on the first. */
function recordNodeImports(found: string[]): Plugin {
  return {
    name: 'record-node-imports',
    setup(bundle) {
      bundle.onResolve({ filter: /.*/ }, ({ path, importer }) => {
        if (path.startsWith('node:') || builtins.has(path) || path === 'ws') {
          found.push(`${path} (from ${importer.replace(root, '')})`)
          return { path, external: true }
        }
        return undefined
      })
    },
  }
}

async function bundle(contents: string, platform: 'browser' | 'node') {
  const nodeImports: string[] = []
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'ts' },
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform,
    metafile: true,
    logLevel: 'silent',
    plugins: [recordNodeImports(nodeImports)],
  })
  const code = result.outputFiles[0]!.text
  return { code, nodeImports, inputs: Object.keys((result.metafile as Metafile).inputs), gzip: gzipSync(code).length }
}

test('the browser build of gangway-ws/client holds no Node built-in and no ws', async (t) => {
  const everything = await bundle(`export * from 'gangway-ws/client'`, 'browser')
  assert.deepEqual(everything.nodeImports, [], 'Node-only imports reached the browser bundle')
  assert.ok(everything.inputs.some((input) => input.endsWith('dist/src/client/browser.js')), 'the browser condition picked browser.js')
  const outsideClient = everything.inputs.filter((input) => input !== '<stdin>' && !/dist\/src\/(client|errors)\//.test(input))
  assert.deepEqual(outsideClient, [], 'only the client and the pure error registry are bundled')
  t.diagnostic(`gangway-ws/client for browsers, everything exported: ${everything.code.length} B minified, ${everything.gzip} B gzip`)
})

test('the client is tree-shakable: importing one helper does not pull in the client', async (t) => {
  const small = await bundle(`import { isReconnectableClose } from 'gangway-ws/client'\nconsole.log(isReconnectableClose(1000))`, 'browser')
  const full = await bundle(`import { createClient } from 'gangway-ws/client'\nconsole.log(createClient)`, 'browser')
  assert.doesNotMatch(small.code, /was never sent|QUEUE_FULL/, 'the client class was left out')
  assert.match(full.code, /was never sent/)
  assert.ok(small.code.length * 10 < full.code.length, `${small.code.length} B vs ${full.code.length} B`)
  t.diagnostic(`createClient for browsers: ${full.code.length} B minified, ${full.gzip} B gzip; one helper: ${small.code.length} B`)
})

test('the Node build of gangway-ws/client uses ws (conditional exports split the two)', async () => {
  const node = await bundle(`export { createClient } from 'gangway-ws/client'`, 'node')
  assert.ok(node.nodeImports.some((entry) => entry.startsWith('ws ')), `ws is imported: ${node.nodeImports.join(', ')}`)
  assert.ok(node.inputs.some((input) => input.endsWith('dist/src/client/index.js')))
})

test('both entries export the same names', async () => {
  const nodeEntry = await import('../src/client/index.js')
  const browserEntry = await import('../src/client/browser.js')
  assert.deepEqual(Object.keys(browserEntry).sort(), Object.keys(nodeEntry).sort())
  assert.equal(browserEntry.GatewayError, nodeEntry.GatewayError, 'one GatewayError class for everyone')
  assert.throws(() => browserEntry.createClient('ws://127.0.0.1:1/ws'), { code: 'CONFIG_INVALID', message: /WebSocket/ }, 'Node 20 has no global WebSocket')
})
