/** Concatenates guard lists in order, keeping the first occurrence of each guard. */
export function dedupeGuards<G>(...lists: ReadonlyArray<readonly G[] | undefined>): readonly G[] {
  const seen = new Set<G>()
  for (const list of lists) {
    if (list) for (const guard of list) seen.add(guard)
  }
  return Object.freeze([...seen])
}
