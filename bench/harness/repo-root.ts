import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** The repository root: the nearest folder up whose package.json is gangway's (the bench may run from a copy under dist/). */
export function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json')
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'gangway-ws') return dir
    if (dirname(dir) === dir) throw new Error('run the bench from inside the gangway repository')
  }
}
