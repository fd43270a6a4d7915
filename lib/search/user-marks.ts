/**
 * @module
 * Users' stars and bookmarks (zot's userprefs) in memory, loaded once from the metadata store and
 * written through to it, so `IsStarred`, `StarCount` and the starred/bookmarked filters cost a
 * lookup. With replicas sharing a bucket each replica sees its own toggles at once and the others'
 * after a restart.
 */
import type { MetaStore, UserMark } from '../meta'

type Kind = UserMark['kind']

export class UserMarks {
  private readonly byUser = new Map<string, Set<string>>()
  private readonly stars = new Map<string, number>()
  private loaded: Promise<void> | undefined
  private toggles: Promise<unknown> = Promise.resolve()

  constructor(private readonly meta: MetaStore) {}

  /** Loads the stored marks (once; a failed load, e.g. S3 unreachable, is retried by the next call). */
  load(): Promise<void> {
    this.loaded ??= this.meta.userMarks().then(
      (marks) => {
        for (const mark of marks) this.apply(mark, true)
      },
      (error: unknown) => {
        this.loaded = undefined
        throw error
      },
    )
    return this.loaded
  }

  has(username: string, repository: string, kind: Kind): boolean {
    return username !== '' && (this.byUser.get(username)?.has(`${kind}\0${repository}`) ?? false)
  }

  starCount(repository: string): number {
    return this.stars.get(repository) ?? 0
  }

  /** The repositories the user starred or bookmarked. */
  repositories(username: string, kind: Kind): Set<string> {
    const prefix = `${kind}\0`
    const names = new Set<string>()
    for (const key of this.byUser.get(username) ?? []) if (key.startsWith(prefix)) names.add(key.slice(prefix.length))
    return names
  }

  /**
   * Flips the mark, stores it, and returns whether it is now set. Toggles run one at a time, so
   * two quick clicks flip twice instead of both reading the same state.
   */
  toggle(username: string, repository: string, kind: Kind): Promise<boolean> {
    const flip = async () => {
      await this.load()
      const on = !this.has(username, repository, kind)
      const mark = { username, repository, kind }
      await this.meta.setUserMark(mark, on)
      this.apply(mark, on)
      return on
    }
    const result = this.toggles.then(flip)
    this.toggles = result.catch(() => {})
    return result
  }

  private apply({ username, repository, kind }: UserMark, on: boolean): void {
    const marks = this.byUser.get(username) ?? new Set<string>()
    const key = `${kind}\0${repository}`
    if (marks.has(key) === on) return
    if (on) marks.add(key)
    else marks.delete(key)
    this.byUser.set(username, marks)
    if (kind === 'star') this.stars.set(repository, this.starCount(repository) + (on ? 1 : -1))
  }
}
