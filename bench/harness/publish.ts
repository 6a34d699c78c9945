import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { renderChart } from './chart.js'
import type { ExtraSuite } from './extra-suites.js'
import type { Mode } from './plan.js'
import { renderResults } from './report.js'
import type { RunRecord } from './results.js'
import { WRITE_MODE_SUMMARY } from './write-mode.js'

/** What a run leaves in `bench/results/<mode>.json`: enough to render its report again. */
export interface SavedRun {
  readonly command?: string
  readonly mode: Mode
  readonly machine: MachineInfo
  readonly cores?: { readonly server: number | undefined; readonly generator: number | undefined }
  readonly started: string
  readonly finished: string
  readonly records: readonly RunRecord[]
  readonly extras: readonly ExtraSuite[]
}

export interface MachineInfo {
  readonly cpu: string
  readonly short: string
  readonly node?: string
  readonly kernel?: string
  readonly memoryGiB?: number
  readonly loadBefore: string
  readonly loadAfter: string
  readonly commit: string
  readonly versions: string
}

const START_MARK = '<!-- bench:results:start -->'
const END_MARK = '<!-- bench:results:end -->'

/**
 * Renders a run's markdown (printed, and put between the markers in
 * BENCHMARKS.md when `writeDoc`) and its chart. Every figure comes from the
 * run's records; `source` names the results file when re-rendering a saved run.
 */
export async function publishResults(
  run: SavedRun,
  options: { root: string; resultsDir: string; writeDoc: boolean; chartName: string; source?: string },
): Promise<string> {
  const { mode, machine } = run
  const finished = new Date(run.finished)
  const { chartName } = options
  writeFileSync(join(options.resultsDir, chartName), await renderChart(run.records, `${mode.name} run, ${run.finished.slice(0, 10)}, ${machine.short}`))
  const minutes = Math.round((finished.getTime() - new Date(run.started).getTime()) / 60000)
  const header = [
    `Run: \`${run.command ?? 'npm run bench'}\` on ${run.finished.slice(0, 16).replace('T', ' ')} UTC (${minutes} min), commit ${machine.commit}.` +
      (options.source ? ` Tables rendered from \`${options.source}\`, the results that run saved.` : ''),
    `Machine: ${machine.cpu}; Node ${machine.node ?? process.version}; Linux ${machine.kernel ?? '?'}; ${machine.memoryGiB ?? '?'} GiB. ` +
      `Load average before / after: ${machine.loadBefore} / ${machine.loadAfter}.`,
    `Versions: ${machine.versions}.`,
    `Each run: ${mode.warmupMs / 1000} s warm-up, then a ${mode.windowMs / 1000} s measurement window; ${mode.repetitions} repetition(s), medians shown; ` +
      `"spread" is half the range of the cost figure across repetitions. Server pinned to core ${run.cores?.server ?? 1}, generator to core ${run.cores?.generator ?? 0}.`,
    `Client writes (docs/benchmarks.md): ${mode.writes.map((writes) => `${writes}, ${WRITE_MODE_SUMMARY[writes]}`).join('; ')}.`,
    `"saturated": the core that was ≥ 95% busy during the window (from /proc/stat); † marks a core that was full although our process got < 85% of it — other load on the shared machine.`,
  ].join('\n')
  const extrasText = run.extras
    .map((suite) => {
      const later = suite.finished && suite.finished.slice(0, 13) !== run.finished.slice(0, 13) ? ` (run on ${suite.finished.slice(0, 16).replace('T', ' ')} UTC)` : ''
      return `### \`npm run ${suite.script}\`${later}${suite.ok ? '' : ' (exited with an error)'}\n\n${suite.output || '_printed nothing_'}`
    })
    .join('\n\n')
  const chartPath = relative(options.root, join(options.resultsDir, chartName))
  const generated = `${header}\n\n![Server cost relative to raw ws](${chartPath})\n\n${renderResults(run.records, mode)}${extrasText ? `\n\n${extrasText}` : ''}`
  if (options.writeDoc) {
    const docPath = join(options.root, 'BENCHMARKS.md')
    const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n\n'
    const block = `${START_MARK}\n${generated}\n${END_MARK}`
    const at = doc.indexOf(START_MARK)
    const end = doc.indexOf(END_MARK)
    writeFileSync(docPath, at >= 0 && end > at ? doc.slice(0, at) + block + doc.slice(end + END_MARK.length) : `${doc.trimEnd()}\n\n${block}\n`)
  }
  return generated
}
