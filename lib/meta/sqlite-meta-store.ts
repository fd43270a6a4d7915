/**
 * @module
 * The metadata store in Bun's SQLite, one file under the storage root (`_meta.sqlite`: a leading
 * underscore is not a valid repository name, so it can never collide with one, and the catalog
 * walk skips it). WAL mode: readers never block the writer, and a crash loses at most the last
 * few statistics, never the file. With S3 storage the file still lives under `rootDirectory` on
 * local disk, as zot keeps its `meta.db` there; several replicas need a shared implementation of
 * `MetaStore` instead.
 */
import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { DedupeIndex, Origin } from '../registry/registry'
import type { ManifestStats, MetaStore, RepositoryStats, TagStats, UserMark } from './meta-store'

// New tables are not a new version: an older build ignores user_marks and search_manifests.
const SCHEMA_VERSION = 1

const SCHEMA = `
CREATE TABLE IF NOT EXISTS manifests (
  repository TEXT NOT NULL, digest TEXT NOT NULL,
  pushed_at INTEGER, pulled_at INTEGER, pull_count INTEGER NOT NULL DEFAULT 0, origin TEXT,
  PRIMARY KEY (repository, digest)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tags (
  repository TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, pushed_at INTEGER NOT NULL,
  PRIMARY KEY (repository, tag)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blob_locations (
  digest TEXT NOT NULL, repository TEXT NOT NULL, PRIMARY KEY (digest, repository)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS search_manifests (digest TEXT PRIMARY KEY, meta TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS user_marks (
  username TEXT NOT NULL, repository TEXT NOT NULL, kind TEXT NOT NULL,
  PRIMARY KEY (username, repository, kind)
) WITHOUT ROWID;
`

interface ManifestRow {
  digest: string
  pushed_at: number | null
  pulled_at: number | null
  pull_count: number
  origin: Origin | null
}

interface TagRow {
  tag: string
  digest: string
  pushed_at: number
}

/**
 * Files written before origins were recorded get the column (an older build ignores it); their
 * manifests' origin stays unknown, so the cache budget never evicts them.
 */
function addOriginColumn(db: Database): void {
  const columns = db.query<{ name: string }, []>('PRAGMA table_info(manifests)').all()
  if (!columns.some((column) => column.name === 'origin')) db.run('ALTER TABLE manifests ADD COLUMN origin TEXT')
}

function openDatabase(path: string): Database {
  const db = new Database(path, { create: true, strict: true })
  db.run('PRAGMA busy_timeout = 5000')
  db.run('PRAGMA journal_mode = WAL')
  db.run('PRAGMA synchronous = NORMAL')
  const version = db.query<{ user_version: number }, []>('PRAGMA user_version').get()?.user_version ?? 0
  if (version > SCHEMA_VERSION) {
    db.close()
    throw new Error(`${path} was written by a newer zot-bun (schema ${version}; this one knows ${SCHEMA_VERSION})`)
  }
  db.run(SCHEMA)
  addOriginColumn(db)
  db.run(`PRAGMA user_version = ${SCHEMA_VERSION}`)
  return db
}

/**
 * Opens (creating when needed) the SQLite metadata store at `path`; `:memory:` for tests.
 *
 * @example
 * const meta = openSqliteMetaStore(metaStorePath(config.storage.rootDirectory)) // layout.ts's path
 */
export function openSqliteMetaStore(path: string): MetaStore {
  // A first start on an empty data directory: the root does not exist yet.
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = openDatabase(path)
  const statements = {
    push: db.query(`INSERT INTO manifests (repository, digest, pushed_at, origin) VALUES (?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET pushed_at = excluded.pushed_at,
        origin = CASE WHEN manifests.origin = 'push' THEN 'push' ELSE excluded.origin END`),
    pushTag: db.query('INSERT OR REPLACE INTO tags (repository, tag, digest, pushed_at) VALUES (?, ?, ?, ?)'),
    pull: db.query(`INSERT INTO manifests (repository, digest, pulled_at, pull_count) VALUES (?, ?, ?, 1)
      ON CONFLICT DO UPDATE SET pulled_at = excluded.pulled_at, pull_count = pull_count + 1`),
    forgetTag: db.query('DELETE FROM tags WHERE repository = ? AND tag = ?'),
    forgetManifest: db.query('DELETE FROM manifests WHERE repository = ? AND digest = ?'),
    forgetTagsOf: db.query('DELETE FROM tags WHERE repository = ? AND digest = ?'),
    forgetManifests: db.query('DELETE FROM manifests WHERE repository = ?'),
    forgetTags: db.query('DELETE FROM tags WHERE repository = ?'),
    forgetLocations: db.query('DELETE FROM blob_locations WHERE repository = ?'),
    manifests: db.query<ManifestRow, [string]>(
      'SELECT digest, pushed_at, pulled_at, pull_count, origin FROM manifests WHERE repository = ?',
    ),
    tags: db.query<TagRow, [string]>('SELECT tag, digest, pushed_at FROM tags WHERE repository = ?'),
    holders: db.query<{ repository: string }, [string]>(
      'SELECT repository FROM blob_locations WHERE digest = ? ORDER BY repository',
    ),
    addLocation: db.query('INSERT OR IGNORE INTO blob_locations (digest, repository) VALUES (?, ?)'),
    removeLocation: db.query('DELETE FROM blob_locations WHERE digest = ? AND repository = ?'),
    setting: db.query<{ value: string }, [string]>('SELECT value FROM settings WHERE key = ?'),
    setSetting: db.query('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)'),
    userMarks: db.query<UserMark, []>('SELECT username, repository, kind FROM user_marks'),
    savedManifest: db.query<{ meta: string }, [string]>('SELECT meta FROM search_manifests WHERE digest = ?'),
    saveManifest: db.query('INSERT OR REPLACE INTO search_manifests (digest, meta) VALUES (?, ?)'),
    savedDigests: db.query<{ digest: string }, []>('SELECT digest FROM search_manifests'),
    dropManifest: db.query('DELETE FROM search_manifests WHERE digest = ?'),
    addMark: db.query('INSERT OR IGNORE INTO user_marks (username, repository, kind) VALUES (?, ?, ?)'),
    removeMark: db.query('DELETE FROM user_marks WHERE username = ? AND repository = ? AND kind = ?'),
  }

  const recordPush = db.transaction(
    (repository: string, digest: string, tags: readonly string[], at: number, origin: Origin) => {
      statements.push.run(repository, digest, at, origin)
      for (const tag of tags) statements.pushTag.run(repository, tag, digest, at)
    },
  )
  const saveManifests = db.transaction((entries: readonly (readonly [string, string])[]) => {
    for (const [digest, json] of entries) statements.saveManifest.run(digest, json)
  })
  const dropManifests = db.transaction((digests: string[]) => {
    for (const digest of digests) statements.dropManifest.run(digest)
  })
  const forgetManifest = db.transaction((repository: string, digest: string) => {
    statements.forgetManifest.run(repository, digest)
    statements.forgetTagsOf.run(repository, digest)
  })
  const forgetRepository = db.transaction((repository: string) => {
    statements.forgetManifests.run(repository)
    statements.forgetTags.run(repository)
    statements.forgetLocations.run(repository)
  })

  // The dedupe index is a hint: a failed write (disk full) must not fail the upload that made it;
  // the blob is then merely stored twice, or a stale entry is dropped on its next use.
  const hint = (write: () => unknown): void => {
    try {
      write()
    } catch {
      // See above.
    }
  }
  const blobLocations: DedupeIndex = {
    holders: async (digest) => {
      return statements.holders.all(digest).map((row) => row.repository)
    },
    added: (repository, digest) => hint(() => statements.addLocation.run(digest, repository)),
    removed: (repository, digest) => hint(() => statements.removeLocation.run(digest, repository)),
  }

  return {
    location: path,
    blobLocations,
    recordPush: (repository, digest, tags, at = Date.now(), origin = 'push') =>
      recordPush(repository, digest, tags, at, origin),
    recordPull: (repository, digest, _tag, at = Date.now()) => void statements.pull.run(repository, digest, at),
    forgetTag: (repository, tag) => void statements.forgetTag.run(repository, tag),
    forgetManifest: (repository, digest) => forgetManifest(repository, digest),
    forgetRepository: (repository) => forgetRepository(repository),
    async repositoryStats(repository): Promise<RepositoryStats> {
      const manifests = new Map<string, ManifestStats>()
      for (const row of statements.manifests.all(repository)) {
        manifests.set(row.digest, {
          ...(row.pushed_at !== null && { pushedAt: row.pushed_at }),
          ...(row.pulled_at !== null && { pulledAt: row.pulled_at }),
          ...(row.origin !== null && { origin: row.origin }),
          pullCount: row.pull_count,
        })
      }
      const tags = new Map<string, TagStats>()
      for (const row of statements.tags.all(repository)) {
        tags.set(row.tag, { digest: row.digest, pushedAt: row.pushed_at })
      }
      return { tags, manifests }
    },
    savedManifests: async (digests) => {
      const found = new Map<string, string>()
      for (const digest of digests) {
        const row = statements.savedManifest.get(digest)
        if (row) found.set(digest, row.meta)
      }
      return found
    },
    // A cache: a failed write (disk full) only means reading the manifest again next start.
    saveManifests: (entries) => hint(() => saveManifests(entries)),
    keepManifests: async (digests) => {
      dropManifests(statements.savedDigests.all().flatMap(({ digest }) => (digests.has(digest) ? [] : [digest])))
    },
    userMarks: async () => statements.userMarks.all(),
    setUserMark: async ({ username, repository, kind }, on) =>
      void (on ? statements.addMark : statements.removeMark).run(username, repository, kind),
    setting: async (key) => statements.setting.get(key)?.value,
    setSetting: async (key, value) => void statements.setSetting.run(key, value),
    // Every write is already in the database.
    flush: async () => {},
    close: () => db.close(),
  }
}
