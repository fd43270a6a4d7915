/**
 * @module
 * The one runner of long-lived child processes in the tests (registries, upstreams): spawn,
 * collect the tail of stdout and stderr without ever blocking the child, wait until an HTTP
 * endpoint answers, stop by the PID we started (SIGTERM, then SIGKILL after a grace period).
 * Never by name.
 */

export interface StartProcessOptions {
  command: string[]
  cwd?: string
  env?: Record<string, string | undefined>
  /** Ready when `GET readyUrl` answers one of `readyStatuses`. */
  readyUrl: string
  /** Default 200 and 401 (a server with authentication answers anonymous clients that way). */
  readyStatuses?: number[]
  readyTimeoutMs: number
  /** Keep at most this many characters of output. Default 1 MiB. */
  logLimit?: number
  /** Accept self-signed certificates while polling an https `readyUrl`. */
  insecure?: boolean
}

export interface RunningProcess {
  pid: number
  /** Resolves with the exit code (or null when killed by a signal) once the process is gone. */
  exited: Promise<number | null>
  /** Sends a signal unless the process has already exited. */
  kill(signal: NodeJS.Signals): void
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone and its output read. */
  stop(graceMs?: number): Promise<void>
  /** Everything the process wrote to stdout and stderr so far (the tail, when it is huge). */
  logs(): string
}

/** The process exited before it became ready. */
export class EarlyExitError extends Error {}

const DEFAULT_LOG_LIMIT = 1 << 20
const DEFAULT_GRACE_MS = 5_000

/**
 * Starts `command` and waits until it is ready. On failure the process is killed and the error
 * (an EarlyExitError when it exited by itself) carries its output.
 */
export async function startProcess(options: StartProcessOptions): Promise<RunningProcess> {
  const child = Bun.spawn(options.command, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const output = new OutputTail(options.logLimit ?? DEFAULT_LOG_LIMIT)
  const drained = Promise.all([output.drain(child.stdout), output.drain(child.stderr)])
  const exited = child.exited.then((code) => (child.signalCode ? null : code))
  const kill = (signal: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, signal)
  }
  const running: RunningProcess = {
    pid: child.pid,
    exited,
    kill,
    logs: () => output.text(),
    stop: async (graceMs = DEFAULT_GRACE_MS) => {
      kill('SIGTERM')
      // A plain timer rather than Bun.sleep, so a quick exit does not keep the event loop alive.
      const forceKill = setTimeout(() => kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(forceKill)
      await drained
    },
  }
  try {
    await waitUntilReady(options, exited)
  } catch (error) {
    kill('SIGKILL')
    await exited
    await drained
    const message = `${options.command.join(' ')} did not become ready: ${String(error)}`
    const ErrorType = error instanceof EarlyExitError ? EarlyExitError : Error
    throw new ErrorType(`${message}\n--- output ---\n${output.text()}`)
  }
  return running
}

async function waitUntilReady(options: StartProcessOptions, exited: Promise<number | null>): Promise<void> {
  const statuses = options.readyStatuses ?? [200, 401]
  let hasExited = false
  void exited.then(() => {
    hasExited = true
  })
  const deadline = Date.now() + options.readyTimeoutMs
  let lastProblem = 'no answer yet'
  while (Date.now() < deadline) {
    if (hasExited) throw new EarlyExitError(`process exited with ${await exited}`)
    try {
      const response = await fetch(options.readyUrl, {
        signal: AbortSignal.timeout(1_000),
        ...(options.insecure && { tls: { rejectUnauthorized: false } }),
      })
      await response.arrayBuffer()
      if (statuses.includes(response.status)) return
      lastProblem = `GET ${options.readyUrl} answered ${response.status}`
    } catch (error) {
      lastProblem = String(error)
    }
    await Bun.sleep(50)
  }
  throw new Error(`timed out after ${options.readyTimeoutMs} ms (${lastProblem})`)
}

/** Keeps the last `limit` characters of a process's output; reading it must never block the child. */
class OutputTail {
  private chunks = ''
  constructor(private readonly limit: number) {}

  async drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    for await (const chunk of stream) {
      this.chunks += decoder.decode(chunk, { stream: true })
      if (this.chunks.length > this.limit * 2) this.chunks = this.chunks.slice(-this.limit)
    }
  }

  text(): string {
    return this.chunks.slice(-this.limit)
  }
}
