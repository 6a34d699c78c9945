// Removes build output so a deleted source file never leaves a stale test behind.
import { rmSync } from 'node:fs'
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true })
