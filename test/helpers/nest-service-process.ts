// A NestJS microservice in a process of its own, for tests that kill and restart it: the
// `<prefix>.echo` handler answers a stream of two values 20 ms apart ('first half', then the data).
// Configured by GANGWAY_TEST_NEST ({ broker, queue, prefix }); says { ready: true } over IPC.
import { interval, map, take } from 'rxjs'
import { startNestService, type NestBroker } from './nest-microservices.js'

const { broker, queue, prefix } = JSON.parse(process.env.GANGWAY_TEST_NEST!) as { broker: NestBroker; queue: string; prefix: string }
await startNestService(broker, queue, {
  messages: [[`${prefix}.echo`, (n: number) => interval(20).pipe(take(2), map((i) => (i === 0 ? 'first half' : n)))]],
})
process.send!({ ready: true })
