#!/usr/bin/env node
// Compiles the examples that have their own compiler settings (examples/nest is a CommonJS
// Nest app with legacy decorators). Each example depends on "gangway-ws": "file:../.."; inside
// the repo we make the link `npm install` would make, so no install is needed there.
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')

for (const name of ['nest', 'nest-microservice']) {
  const dir = join(root, 'examples', name)
  const modules = join(dir, 'node_modules')
  const link = join(modules, 'gangway-ws')
  const target = relative(modules, root) || '.'
  mkdirSync(modules, { recursive: true })
  if (!existsSync(link) || !lstatSync(link).isSymbolicLink() || readlinkSync(link) !== target) {
    rmSync(link, { recursive: true, force: true })
    symlinkSync(target, link, 'dir')
  }
  rmSync(join(dir, 'dist'), { recursive: true, force: true })
  const result = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
