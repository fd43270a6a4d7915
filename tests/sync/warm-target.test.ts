/**
 * How `zot sync warm` reads image names (fine-grained, in process): a host one of the config's
 * registry entries names is mapped as containerd's `?ns=` is (Docker Hub's aliases and
 * `library/`, the entry's content rules); other names are local names; the entry's `platforms`
 * come along; malformed names and entries without onDemand are refused with the reason.
 */
import { describe, expect, test } from 'bun:test'
import { resolveRegistry } from '../../lib/sync/config'
import { warmTarget } from '../../lib/sync/warm/warm-target'
import { testSyncConfig } from '../support/config'

const registries = testSyncConfig({
  registries: [
    {
      urls: ['https://registry-1.docker.io'],
      onDemand: true,
      content: [{ prefix: '**', destination: '/docker.io' }],
      platforms: ['linux/arm64'],
    },
    {
      urls: ['https://ghcr.io'],
      onDemand: true,
      content: [{ prefix: 'acme/**', destination: '/ghcr' }],
      architectures: ['amd64'],
    },
    { urls: ['https://quay.io'], pollInterval: '1h', content: [{ prefix: 'org/**' }] },
  ],
}).registries.map(resolveRegistry)

/** The ghcr entry's deprecated `architectures`, as platforms. */
const AMD64 = [{ architecture: 'amd64' }]

const target = (image: string) => {
  const { repository, reference, platforms } = warmTarget(image, registries)
  return { repository, reference, platforms }
}

describe('names with an upstream host', () => {
  test("Docker Hub by any of its names, with library/ for official images and the entry's platforms", () => {
    const alpine = {
      repository: 'docker.io/library/alpine',
      reference: '3.20',
      platforms: [{ os: 'linux', architecture: 'arm64' }],
    }
    expect(target('docker.io/alpine:3.20')).toEqual(alpine)
    expect(target('index.docker.io/library/alpine:3.20')).toEqual(alpine)
    expect(target('registry-1.docker.io/alpine:3.20')).toEqual(alpine)
  })

  test('another upstream, through its content rules; no tag means latest; a digest stays', () => {
    const digest = `sha256:${'a'.repeat(64)}`
    expect(target('ghcr.io/acme/agent')).toEqual({
      repository: 'ghcr/acme/agent',
      reference: 'latest',
      platforms: AMD64,
    })
    expect(target(`ghcr.io/acme/agent@${digest}`).reference).toBe(digest)
    expect(target(`ghcr.io/acme/agent:1.2@${digest}`).reference).toBe(digest)
  })

  test('a name no content rule of the entry covers, or an entry without onDemand, is refused saying why', () => {
    expect(() => warmTarget('ghcr.io/other/app:1', registries)).toThrow(
      'no content rule of the sync registry for ghcr.io covers other/app',
    )
    expect(() => warmTarget('quay.io/org/app:1', registries)).toThrow('the sync registry for quay.io has no onDemand')
  })
})

describe('local names', () => {
  test('are pulled as written, with the platforms of the entry that serves them', () => {
    expect(target('ghcr/acme/agent:2')).toEqual({ repository: 'ghcr/acme/agent', reference: '2', platforms: AMD64 })
    expect(target('my.team/app:1')).toEqual({ repository: 'my.team/app', reference: '1', platforms: [] })
  })

  test('malformed names are refused with the reason', () => {
    expect(() => warmTarget('Team/App:1', registries)).toThrow('Team/App is not a valid repository name')
    expect(() => warmTarget('team/app:bad tag', registries)).toThrow('bad tag is not a valid tag')
    expect(() => warmTarget('team/app@sha256:123', registries)).toThrow('sha256:123 is not a digest')
  })
})
