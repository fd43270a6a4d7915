/**
 * @module
 * How the UI writes sizes, times, platforms and digests: short, unambiguous, UTC.
 */
import { formatSize as formatBytes } from '../config/values/size'
import type { Platform } from './queries'

/** "1.2 MiB" (the project's one size format); "" for unknown. GraphQL sends sizes as strings. */
export function formatSize(bytes: string | number | null | undefined): string {
  const value = Number(bytes)
  if (bytes === null || bytes === undefined || bytes === '' || !Number.isFinite(value) || value < 0) return ''
  return formatBytes(value)
}

/** An RFC 3339 time as "2026-12-07 01:05 UTC"; "" for unknown or zero times. */
export function formatTime(time: string | null | undefined): string {
  if (!time) return ''
  const date = new Date(time)
  if (Number.isNaN(date.getTime()) || date.getTime() <= 0) return ''
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

/** "linux/arm64"; "" when the manifest has no platform (artifacts). */
export const formatPlatform = (platform: Platform | null | undefined): string =>
  platform?.Os || platform?.Arch ? [platform.Os, platform.Arch].filter(Boolean).join('/') : ''

/** "sha256:0123456789ab" — enough to tell digests apart on a page. */
export const shortDigest = (digest: string | null | undefined): string => (digest ? digest.slice(0, 19) : '')

/** Distinct platforms, in their first order. */
export function distinctPlatforms(platforms: readonly (Platform | null | undefined)[]): string[] {
  return [...new Set(platforms.map(formatPlatform).filter(Boolean))]
}

/** "1 star", "2 stars", "0 downloads". */
export const counted = (count: number | null | undefined, noun: string): string =>
  `${count ?? 0} ${noun}${(count ?? 0) === 1 ? '' : 's'}`
