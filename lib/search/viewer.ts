/**
 * @module
 * Who is searching, as the resolvers need it: what they may read (every result is filtered by
 * it, counts included), what they may delete (`IsDeletable`) and whose stars and bookmarks apply.
 */
export interface Viewer {
  /** Equal for viewers with equal rights (user, groups, key scopes): caches are shared by it. */
  key: string
  /** Empty for anonymous requests: no stars, no bookmarks. */
  username: string
  canRead(repository: string): boolean
  canDelete(repository: string): boolean
}
