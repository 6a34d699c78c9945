/**
 * How the load generator hands its frames to the kernel. Real clients do both:
 *
 * - `batched`: every frame a connection sends in answer to one read leaves in
 *   one write (`cork` … `uncork`, one `writev`), as an SDK that batches does.
 *   The generator's only mode before per-frame existed; past runs in
 *   BENCHMARKS.md were measured this way.
 * - `per-frame`: each frame is its own `socket.write` and so its own write
 *   syscall, as `ws`'s and browsers' `send` do: the server gets one small TCP
 *   segment per request instead of several requests per read.
 */
export type WriteMode = 'batched' | 'per-frame'

export const WRITE_MODES: readonly WriteMode[] = ['batched', 'per-frame']

/** The mode of a record saved before write modes existed: the generator always batched then. */
export const LEGACY_WRITE_MODE: WriteMode = 'batched'

/** One line per mode for the report's header. */
export const WRITE_MODE_SUMMARY: Record<WriteMode, string> = {
  batched: 'the frames a connection sends in answer to one read share one write',
  'per-frame': 'one write per frame, as `ws` and browsers send',
}
