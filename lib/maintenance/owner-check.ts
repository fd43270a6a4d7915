/**
 * @module
 * `zot gc` and `zot scrub` run as root on a data directory that belongs to the service user
 * refuse, naming the owner and the command to run instead. Everything they create there
 * (index.json rewrites, `.quarantine/`, the metadata store and its SQLite -wal/-shm files,
 * directories made on the way) would belong to root, and the server, running as that user,
 * would fail with EACCES on its next GC or push.
 *
 * Refusing was chosen over chowning what they create: files appear in many places (the local
 * driver's temp-file-and-rename writes, SQLite's side files, parent directories made on demand),
 * and one that is missed breaks the service later and far from its cause; a refusal cannot miss
 * anything, and `sudo -u OWNER` is one word more to type.
 */
import { readFileSync } from 'node:fs'
import type { MaintenanceIo } from './io'

/** The user name of `uid` from /etc/passwd, or sudo's `#uid` notation when it has none. */
function userName(uid: number): string {
  let passwd = ''
  try {
    passwd = readFileSync('/etc/passwd', 'utf8')
  } catch {
    // No passwd file (a scratch container): sudo accepts the numeric form.
  }
  const entry = passwd.split('\n').find((line) => line.split(':')[2] === String(uid))
  return entry?.split(':')[0] || `#${uid}`
}

/** A word as a POSIX shell reads it back unchanged. */
const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`

/**
 * Prints why and returns true when this process runs as root and `rootDirectory` (owned by
 * `ownerUid`) belongs to another user.
 *
 * @example
 * if (refuseAsRootOnForeignStore('scrub', rootDirectory, statSync(rootDirectory).uid, io)) return
 */
export function refuseAsRootOnForeignStore(
  command: string,
  rootDirectory: string,
  ownerUid: number,
  io: MaintenanceIo,
): boolean {
  if (process.geteuid?.() !== 0 || ownerUid === 0) return false
  const owner = userName(ownerUid)
  // The user's own arguments (the config path, --dry-run ...) after the program and script.
  const rerun = ['sudo', '-u', owner, 'zot', ...process.argv.slice(2)].map(shellWord).join(' ')
  io.err(
    `zot ${command}: storage.rootDirectory ${rootDirectory} belongs to ${owner} (uid ${ownerUid}) and this runs as root.`,
  )
  io.err(
    `  What ${command} creates there would belong to root, and the registry, running as ${owner}, would then fail with EACCES.`,
  )
  io.err(`  fix: run it as the owner: ${rerun}`)
  return true
}
