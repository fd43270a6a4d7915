/**
 * @module
 * Notices new TLS material. Polls the files' identity (inode, size, mtime) instead of watching
 * them: certbot and Kubernetes replace certificates by swapping symlinks or renaming, which a
 * watch on the old file never sees. A poll every few seconds costs two stat calls.
 */
import { stat } from 'node:fs/promises'
import type { TlsFiles } from './server'

const fingerprint = async (files: TlsFiles): Promise<string> => {
  const parts = await Promise.all(
    [files.cert, files.key].map((path) =>
      stat(path).then(
        (s) => `${s.ino}:${s.size}:${s.mtimeMs}`,
        () => 'missing',
      ),
    ),
  )
  return parts.join('|')
}

export interface TlsWatch {
  /** Checks now (SIGHUP does this); calls onChange when the files changed since last seen. */
  check(): Promise<void>
  stop(): void
}

export async function watchTls(files: TlsFiles, onChange: () => Promise<void>, intervalMs = 5000): Promise<TlsWatch> {
  let seen = await fingerprint(files)
  let checking: Promise<void> | undefined
  const check = (): Promise<void> =>
    (checking ??= (async () => {
      const now = await fingerprint(files)
      if (now !== seen && !now.includes('missing')) {
        seen = now
        await onChange()
      }
    })().finally(() => (checking = undefined)))
  const timer = setInterval(() => void check(), intervalMs)
  timer.unref()
  return { check, stop: () => clearInterval(timer) }
}
