import assert from 'node:assert/strict'
import { test } from 'node:test'
import { currentClient, currentContext, defineGateway, type Client } from '../src/index.js'
import { startGateway } from './helpers/start-gateway.js'

interface Ambient {
  requestId: string
  tenant: string
}

/** A service deep below the handler: it never receives the client or the context as arguments. */
const auditLog = {
  entries: [] as string[],
  async record(action: string) {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 10))
    const context = currentContext<Ambient>()
    this.entries.push(`${context?.tenant}/${context?.requestId}/${currentClient()?.userId}: ${action}`)
    return context
  },
}

test('state captured at upgrade is re-installed around every dispatch and hook, across awaits', async (t) => {
  const gateway = defineGateway({ path: '/ws', connectionGuards: [(h) => ({ id: h.query.get('user') })] })
    .onConnect(async () => void (await auditLog.record('connected')))
    .subscribe('act', async (action: string, _client: Client) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      return auditLog.record(action)
    })
  const gw = await startGateway(t, {
    gateways: [gateway],
    context: (handshake): Ambient => ({ requestId: String(handshake.headers['x-request-id']), tenant: String(handshake.headers['x-tenant']) }),
  })
  const acme = await gw.connect('/ws?user=ada', { headers: { 'x-request-id': 'r-1', 'x-tenant': 'acme' } })
  const globex = await gw.connect('/ws?user=bob', { headers: { 'x-request-id': 'r-2', 'x-tenant': 'globex' } })
  // Interleaved requests on two connections each see their own context.
  const answers = await Promise.all([acme.request('act', 'a1'), globex.request('act', 'b1'), acme.request('act', 'a2'), globex.request('act', 'b2')])
  assert.deepEqual(
    answers.map((f) => f.data),
    [
      { requestId: 'r-1', tenant: 'acme' },
      { requestId: 'r-2', tenant: 'globex' },
      { requestId: 'r-1', tenant: 'acme' },
      { requestId: 'r-2', tenant: 'globex' },
    ],
  )
  assert.deepEqual(auditLog.entries.filter((e) => e.startsWith('acme')).sort(), ['acme/r-1/ada: a1', 'acme/r-1/ada: a2', 'acme/r-1/ada: connected'])
  assert.deepEqual(auditLog.entries.filter((e) => e.startsWith('globex')).sort(), ['globex/r-2/bob: b1', 'globex/r-2/bob: b2', 'globex/r-2/bob: connected'])
  assert.equal(currentContext(), undefined, 'nothing leaks outside a dispatch')
})

test('a failing context capture answers 500 before the upgrade', async (t) => {
  const gw = await startGateway(t, {
    gateways: [defineGateway({ path: '/ws' })],
    context: () => {
      throw new Error('boom')
    },
  })
  await assert.rejects(gw.connect(), /500/)
})
