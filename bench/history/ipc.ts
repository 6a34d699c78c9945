// IPC plumbing shared by the storm's child processes: commands in, answers out, and the
// process ends when its parent goes away.

/** A command from the orchestrator. */
export interface Command {
  readonly cmd: string
  readonly [key: string]: unknown
}

/** Handles each command; a handler that throws answers `{ type: 'fatal' }` (the harness rejects on it). */
export function onCommand(handle: (command: Command) => Promise<void> | void): void {
  process.on('message', (command: Command) => {
    Promise.resolve()
      .then(() => handle(command))
      .catch((err: unknown) => reply({ type: 'fatal', message: `${command.cmd}: ${(err as Error).message}` }))
  })
  process.on('disconnect', () => process.exit(0))
}

export function reply(message: object): void {
  process.send?.(message)
}

/** Milliseconds on a clock all processes of the machine share (wall time with performance.now()'s resolution). */
export function now(): number {
  return performance.timeOrigin + performance.now()
}

/** Runs `task` for every item at once and returns the messages of those that failed. */
export async function settleAll<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<string[]> {
  const results = await Promise.allSettled(items.map(task))
  return results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error)?.message ?? r.reason).replace(/\d+/g, 'N')] : []))
}
