/**
 * @module
 * Single flight: concurrent calls with one key share one execution and its result. This is what
 * turns N clients asking for the same missing manifest, tag check or tag list into one upstream
 * request. The work runs detached from any caller, so one caller giving up cancels nothing.
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>()

  run(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key)
    if (running) return running
    const started = work().finally(() => this.inFlight.delete(key))
    this.inFlight.set(key, started)
    return started
  }
}
