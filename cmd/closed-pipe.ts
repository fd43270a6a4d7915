/**
 * @module
 * `zot scrub --json … | head`: once the reader is gone, further writes fail with EPIPE, which
 * Bun reports as an uncaught error with a stack dump. A command line tool ends quietly there, as
 * one killed by SIGPIPE does.
 */

/** The status a shell reports for a process killed by SIGPIPE (128 + 13). */
export const CLOSED_PIPE_EXIT = 141

/** Makes a closed stdout or stderr end the process quietly; other stream errors stay fatal. */
export function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(CLOSED_PIPE_EXIT)
      throw error
    })
  }
}
