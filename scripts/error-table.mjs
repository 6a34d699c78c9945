#!/usr/bin/env node
// Prints (or, with --write, rewrites in docs/errors.md) the error-code table from the compiled registry.
import { readFileSync, writeFileSync } from 'node:fs'

const { ERROR_CODES } = await import(new URL('../dist/src/errors/error-codes.js', import.meta.url))

export function errorTable(codes) {
  const rows = Object.entries(codes).map(
    ([code, info]) => `| \`${code}\` | ${info.wire ? 'yes' : 'no'} | ${info.status ?? ''} | ${info.closeCode ?? ''} | ${info.description} |`,
  )
  return ['| code | wire | HTTP | close | meaning |', '|---|---|---|---|---|', ...rows].join('\n')
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const table = errorTable(ERROR_CODES)
  if (process.argv.includes('--write')) {
    const path = new URL('../docs/errors.md', import.meta.url)
    const doc = readFileSync(path, 'utf8')
    const start = doc.indexOf('| code | wire |')
    const end = doc.indexOf('\n\n', start)
    writeFileSync(path, doc.slice(0, start) + table + doc.slice(end))
  } else {
    console.log(table)
  }
}
