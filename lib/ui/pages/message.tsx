/** @jsxImportSource hono/jsx */
/**
 * @module
 * A page that only says something: not found (also for what the viewer may not read, so a page
 * never tells a hidden repository from a missing one), search off, a failure.
 */
import type { FC } from 'hono/jsx'
import { Layout, PATHS, type Viewer } from '../layout'

export const MessagePage: FC<{ viewer: Viewer; title: string; message: string; here: string }> = ({
  viewer,
  title,
  message,
  here,
}) => (
  <Layout title={title} viewer={viewer} here={here}>
    <p class="notice">{message}</p>
    {viewer.username === '' && viewer.signIn && (
      <p>
        Some repositories may be visible only once you{' '}
        <a href={`${PATHS.signIn}?next=${encodeURIComponent(here)}`}>sign in</a>.
      </p>
    )}
    <p>
      <a href={PATHS.home}>Back to the repositories</a>
    </p>
  </Layout>
)
