/**
 * Which index children `platforms` takes (fine-grained, in process): zot's `os/arch` and bare
 * `arch`, empty parts matching anything, a child without a platform always taken, and the
 * variant, which zot cannot match, matched when given and ignored when not.
 */
import { expect, test } from 'bun:test'
import { parsePlatform, platformSpecs, platformWanted } from '../../lib/sync/platforms'

const child = (os: string, architecture: string, variant?: string) => ({
  platform: { os, architecture, ...(variant && { variant }) },
})
const wanted = (specs: string[], candidate: { platform?: Record<string, unknown> }): boolean =>
  platformWanted(candidate, specs.map(parsePlatform))

test('os/arch, a bare arch, and empty parts', () => {
  expect(wanted(['linux/arm64'], child('linux', 'arm64'))).toBe(true)
  expect(wanted(['linux/arm64'], child('linux', 'amd64'))).toBe(false)
  expect(wanted(['linux/arm64'], child('windows', 'arm64'))).toBe(false)
  expect(wanted(['arm64'], child('windows', 'arm64'))).toBe(true)
  expect(wanted(['/arm64'], child('freebsd', 'arm64'))).toBe(true)
  expect(wanted(['linux/'], child('linux', 's390x'))).toBe(true)
  expect(wanted(['amd64', 'linux/arm64'], child('linux', 'arm64'))).toBe(true)
})

test('variants: matched when given, any when not', () => {
  expect(wanted(['linux/arm/v7'], child('linux', 'arm', 'v7'))).toBe(true)
  expect(wanted(['linux/arm/v7'], child('linux', 'arm', 'v6'))).toBe(false)
  expect(wanted(['linux/arm/v7'], child('linux', 'arm'))).toBe(false)
  expect(wanted(['linux/arm'], child('linux', 'arm', 'v6'))).toBe(true)
})

test('no specs take everything; a child without a platform is always taken; attestations are not', () => {
  expect(wanted([], child('linux', 'amd64'))).toBe(true)
  expect(wanted(['linux/arm64'], {})).toBe(true)
  expect(wanted(['linux/arm64'], child('unknown', 'unknown'))).toBe(false)
})

test('architectures adds bare-arch specs to platforms', () => {
  expect(platformSpecs({ platforms: ['linux/arm64'], architectures: ['amd64'] })).toEqual([
    { os: 'linux', architecture: 'arm64' },
    { architecture: 'amd64' },
  ])
})
