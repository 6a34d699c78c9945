import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { createClient, type PresenceChange } from '../src/client/index.js'
import { defineGateway } from '../src/index.js'
import { eventually, startGateway } from './helpers/start-gateway.js'

// gangway-ws/client keeps the members of the rooms the gateway sends it presence for.

const gateway = defineGateway({ path: '/ws', connectionGuards: [(h) => h.query.get('user') ?? true] })
  .subscribe('join', async ({ room, name }: { room: string; name?: string }, client) => {
    // The application decides who sees a room's members: here, every member of a "team-" room.
    await client.join(room, { presence: room.startsWith('team-'), meta: name === undefined ? undefined : { name } })
    return { room }
  })
  .subscribe('leave', async ({ room }: { room: string }, client) => {
    await client.leave(room)
    return { room }
  })

async function setup(t: TestContext) {
  const gw = await startGateway(t, { gateways: [gateway] })
  /** `gate`, when given, is awaited before every connection attempt. */
  const open = (user: string, name?: string, gate?: () => Promise<void>) => {
    const url = gw.url(`/ws?user=${user}`)
    const client = createClient<typeof gateway>(async () => (await gate?.(), url), {
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      rooms: { data: (room) => ({ room, name }) },
    })
    t.after(() => client.close())
    const changes: PresenceChange[] = []
    client.onPresence((change) => changes.push(change))
    return { client, changes }
  }
  return { gw, open }
}

const names = (members: ReadonlyArray<{ userId: string | null }>) => members.map((m) => m.userId).sort()

test('the client keeps who is in a watched room: everyone first, then who came and went, per user', async (t) => {
  const { open } = await setup(t)
  const ada = open('ada', 'Ada')
  const pushes: unknown[] = []
  ada.client.on('$presence' as never, (data: unknown) => {
    pushes.push(data)
  })
  await ada.client.join('team-1')
  assert.deepEqual(names(ada.client.presence('team-1')), ['ada'], 'members are in before join resolves')
  assert.deepEqual(ada.changes.map((c) => names(c.joins)), [['ada']])
  assert.deepEqual(ada.client.presence('team-1')[0]!.connections[0]!.meta, { name: 'Ada' })

  const bob = open('bob')
  await bob.client.join('team-1')
  assert.deepEqual(names(bob.client.presence('team-1')), ['ada', 'bob'])
  await eventually(() => ada.client.presence('team-1').length === 2, 2000, 'ada to see bob')
  assert.deepEqual(names(ada.changes.at(-1)!.joins), ['bob'])
  const bobTab2 = open('bob')
  await bobTab2.client.join('team-1')
  await bob.client.close()
  await bobTab2.client.close()
  await eventually(() => ada.client.presence('team-1').length === 1, 2000, 'bob to leave with his last tab')
  assert.deepEqual(
    ada.changes.map((c) => [names(c.joins), names(c.leaves)]),
    [[['ada'], []], [['bob'], []], [[], ['bob']]],
    'a second tab is no join, the first of two tabs closing is no leave',
  )

  await ada.client.join('plain') // a room the application sends no presence for
  assert.deepEqual(ada.client.presence('plain'), [])
  await ada.client.leave('team-1')
  assert.deepEqual(ada.client.presence('team-1'), [])
  assert.deepEqual(names(ada.changes.at(-1)!.leaves), ['ada'], 'leaving a room reports it emptied')
  assert.deepEqual(pushes, [], '$presence frames never reach on() listeners')
})

test('after a reconnect, only who really came or went meanwhile is reported', async (t) => {
  const { gw, open } = await setup(t)
  let reopen: Promise<void> = Promise.resolve()
  let letAdaBack = () => {}
  const ada = open('ada', undefined, () => reopen)
  const bob = open('bob')
  const cy = open('cy')
  await ada.client.join('team-2')
  await bob.client.join('team-2')
  await cy.client.join('team-2')
  await eventually(() => ada.client.presence('team-2').length === 3, 2000)
  const before = ada.changes.length

  // Ada's connection drops (1012: reconnect); meanwhile bob leaves and dan comes.
  let dropped = false
  ada.client.onStatus(({ status }) => (dropped ||= status === 'reconnecting'))
  reopen = new Promise((resolve) => (letAdaBack = resolve))
  const adaConnection = [...gw.app.server().connections()].find((c) => c.userId === 'ada')!
  adaConnection.close(1012, 'restart')
  await eventually(() => dropped, 2000, 'ada to drop')
  await bob.client.close()
  const dan = open('dan')
  await dan.client.join('team-2')
  letAdaBack()
  await eventually(() => ada.client.status === 'open' && names(ada.client.presence('team-2')).join() === 'ada,cy,dan', 3000, 'ada back with the room as it is')
  const after = ada.changes.slice(before)
  assert.deepEqual(
    after.map((c) => [names(c.joins), names(c.leaves)]),
    [[['dan'], ['bob']]],
    'one change: dan came, bob went (ada herself and cy stayed)',
  )
})
