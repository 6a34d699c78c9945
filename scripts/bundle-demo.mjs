#!/usr/bin/env node
// Bundles the demo chat page (demo/public/chat.ts, which imports gangway-ws/client) for browsers into
// dist/demo/public/chat.js, served by the demo server. Runs after `tsc` in `npm run build`: the
// page resolves gangway-ws/client through the package's `browser` export condition to dist/src/client/browser.js.
import { build } from 'esbuild'
import { builtinModules } from 'node:module'

const root = new URL('..', import.meta.url)
const nodeBuiltins = new Set(builtinModules)

/** Fails the bundle on any Node built-in, so a Node-only import in the client can never ship to browsers. */
const noNodeBuiltins = {
  name: 'no-node-builtins',
  setup(bundle) {
    bundle.onResolve({ filter: /.*/ }, ({ path, importer }) => {
      if (path.startsWith('node:') || nodeBuiltins.has(path)) {
        return { errors: [{ text: `Node built-in "${path}" imported by ${importer}: not allowed in the browser bundle` }] }
      }
      return undefined
    })
  },
}

const result = await build({
  absWorkingDir: root.pathname,
  entryPoints: ['demo/public/chat.ts'],
  outfile: 'dist/demo/public/chat.js',
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  plugins: [noNodeBuiltins],
})
const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes
if (process.env.BUNDLE_VERBOSE) console.log(`dist/demo/public/chat.js: ${bytes} bytes`)
