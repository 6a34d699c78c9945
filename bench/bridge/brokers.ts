/** The broker URLs the benchmark uses (the shared loopback services unless overridden). */
export const urls = {
  amqp: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  nats: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
}

export type Broker = keyof typeof urls

/** A prefix / queue name unique to this benchmark run, so runs never share queues. */
export const runId = process.env.BENCH_RUN_ID ?? `bench${process.pid}`
