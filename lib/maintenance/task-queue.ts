/**
 * @module
 * Background maintenance tasks run one at a time: the machine's I/O goes to clients first. With
 * subPaths every store has its own maintenance, and they share one queue, so a GC of one store
 * never overlaps a scrub or GC of another.
 */
export class TaskQueue {
  private tail: Promise<unknown> = Promise.resolve()

  /** Runs `task` after every task queued before it; a failing task does not stop the ones after. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task)
    this.tail = run.catch(() => {})
    return run
  }

  /** Resolves once every task queued so far has ended. */
  async idle(): Promise<void> {
    await this.tail
  }
}
