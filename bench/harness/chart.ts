import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import { aggregate, label, ratio } from './results.js'
import type { RunRecord } from './results.js'
import { TARGET_NAMES } from './targets.js'

const COLORS: Record<string, string> = {
  gangway: '#e4572e',
  'raw ws': '#9e9e9e',
  'Socket.IO': '#4c78a8',
  'NestJS (ws)': '#72b7b2',
  'NestJS (Socket.IO)': '#54a24b',
}

/**
 * Renders the cost ratios to raw ws as one grouped bar chart (SVG): server CPU
 * per operation for every rpc and fanout configuration in each client write
 * mode, server RSS per idle connection, one bar per target, a rule at 1.0
 * (raw ws). Lower is better.
 */
export async function renderChart(records: readonly RunRecord[], subtitle: string): Promise<string> {
  const rows = aggregate(records).filter((row) => row.generators === 1)
  const values = rows.map((row) => ({
    configuration: row.scenario === 'idle' ? `${row.config} (RSS/conn)` : `${row.config} ${row.writes} (µs/op)`,
    target: label(row.target),
    ratio: Number(ratio(rows, row, row.scenario === 'idle' ? 'rssPerConnectionKiB' : 'serverMicrosPerOp').toFixed(3)),
  }))
  const order = [...new Set(values.map((v) => v.configuration))]
  const targets = TARGET_NAMES.map(label).filter((name) => values.some((v) => v.target === name))
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Server cost relative to raw ws (lower is better)', subtitle },
    width: { step: 22 },
    height: 320,
    background: 'white',
    data: { values: values.filter((v) => Number.isFinite(v.ratio)) },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'configuration', type: 'nominal', sort: order, axis: { labelAngle: -30, labelLimit: 260, title: null } },
          xOffset: { field: 'target', sort: targets },
          y: { field: 'ratio', type: 'quantitative', title: '× raw ws (server CPU per op; RSS per idle connection)' },
          color: {
            field: 'target',
            scale: { domain: targets, range: targets.map((name) => COLORS[name] ?? '#888') },
            legend: { orient: 'top', title: null },
          },
          tooltip: [{ field: 'target' }, { field: 'configuration' }, { field: 'ratio' }],
        },
      },
      {
        mark: { type: 'text', dy: -6, fontSize: 9 },
        encoding: {
          x: { field: 'configuration', type: 'nominal', sort: order },
          xOffset: { field: 'target', sort: targets },
          y: { field: 'ratio', type: 'quantitative' },
          text: { field: 'ratio', type: 'quantitative', format: '.2f' },
        },
      },
      { mark: { type: 'rule', strokeDash: [4, 3], color: '#333' }, encoding: { y: { datum: 1 } } },
    ],
  }
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  const svg = await view.toSVG()
  view.finalize()
  return svg
}
