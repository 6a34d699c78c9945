/**
 * The part of an ioredis client gangway accepts from you. gangway never uses
 * the client you pass directly: it `duplicate()`s it into the connections it
 * needs, with the settings it needs (your client's host, TLS, auth and db are
 * kept), and closes only those.
 */
export interface RedisClientLike {
  duplicate(override?: RedisConnectionSettings): RedisConnectionLike
}

/** The settings gangway applies to the connections it opens. */
export interface RedisConnectionSettings {
  lazyConnect: boolean
  enableOfflineQueue: boolean
  autoResubscribe: boolean
  autoResendUnfulfilledCommands: boolean
  maxRetriesPerRequest: number | null
  enableAutoPipelining: boolean
  connectionName: string
  retryStrategy: (times: number) => number | null
}

/** One ioredis connection, as the cluster bus and the bridge link use it. */
export interface RedisConnectionLike {
  readonly status: string
  connect(): Promise<void>
  ping(): Promise<unknown>
  quit(): Promise<unknown>
  disconnect(reconnect?: boolean): void
  // Pub/sub: the cluster bus, and the bridge's inboxes and broadcast.
  publish(channel: string, message: Buffer): Promise<number>
  pipeline(): RedisPipelineLike
  subscribe(...channels: string[]): Promise<unknown>
  unsubscribe(...channels: string[]): Promise<unknown>
  // Streams with consumer groups: the bridge's work queues.
  xadd(key: string, id: '*', field: string, value: Buffer): Promise<unknown>
  xgroup(subcommand: 'CREATE', key: string, group: string, id: string, mkstream: 'MKSTREAM'): Promise<unknown>
  xgroup(subcommand: 'DELCONSUMER', key: string, group: string, consumer: string): Promise<unknown>
  xreadgroupBuffer(
    groupToken: 'GROUP',
    group: string,
    consumer: string,
    countToken: 'COUNT',
    count: number,
    blockToken: 'BLOCK',
    milliseconds: number,
    streamsToken: 'STREAMS',
    ...keysThenIds: string[]
  ): Promise<unknown>
  xautoclaim(key: string, group: string, consumer: string, minIdleTime: number, start: string, countToken: 'COUNT', count: number): Promise<unknown>
  xack(key: string, group: string, ...ids: Array<string | Buffer>): Promise<unknown>
  xdel(key: string, ...ids: Array<string | Buffer>): Promise<unknown>
  xinfo(subcommand: 'CONSUMERS', key: string, group: string): Promise<unknown>
  // Scripts: the history store's append and read.
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  on(event: 'messageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown
  on(event: 'ready' | 'close' | 'end' | 'reconnecting', listener: () => void): unknown
  on(event: 'error', listener: (err: Error) => void): unknown
  off(event: 'ready', listener: () => void): unknown
  off(event: 'error', listener: (err: Error) => void): unknown
}

/** An ioredis pipeline: commands written together, in one write. */
export interface RedisPipelineLike {
  publish(channel: string, message: Buffer): unknown
  exec(): Promise<unknown>
}
