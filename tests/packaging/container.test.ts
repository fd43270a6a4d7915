/**
 * @module
 * packaging/container/build.sh: builds the registry's image offline with buildah from scratch
 * (storage isolated in a temp directory), and the image is what the issue asks for: the
 * entrypoint `zot serve /etc/zot/config.json`, port 5000, a volume for data, a non-root user, the
 * example config, the binary and its glibc files and nothing else. It starts inside the image (buildah
 * run with chroot isolation: no container engine, no cgroups needed) and serves a round trip; the
 * arm64 image's binary starts under qemu with nothing but the image's own libraries.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { type ClientEnvironment, createClientEnvironment } from '../support/clients'
import { freePort } from '../support/server'
import {
  descendantRunning,
  ensureTool,
  hasCommand,
  mustRun,
  PACKAGING,
  pushAndPullImage,
  releaseBuild,
  type ReleaseBuild,
  removeTemporaries,
  startServing,
  temporaryDirectory,
} from './support'

const TIMEOUT_MS = 90_000
const BUILD = join(PACKAGING, 'container/build.sh')
const UID = 65532

let clients: ClientEnvironment
let release: ReleaseBuild
let version = ''

beforeAll(async () => {
  const missing = await ensureTool(hasCommand('buildah'), ['buildah'])
  if (missing) throw new Error(`buildah: ${missing}`)
  clients = await createClientEnvironment([])
  release = await releaseBuild()
  version = (await mustRun([release.binary('linux-x64'), '--version'])).stdout.trim()
}, 120_000)
afterAll(async () => {
  await clients?.cleanup()
  await removeTemporaries()
})

const env = () => ({ ...clients.env, PATH: process.env.PATH ?? '/usr/bin:/bin' })

async function build(...args: string[]): Promise<string> {
  const { stdout } = await mustRun(['sh', BUILD, ...args], { env: env() })
  return stdout.trim().split('\n').at(-1)!
}

async function inspectImage(image: string) {
  const { stdout } = await clients.buildah(['inspect', '--type', 'image', image])
  return JSON.parse(stdout).OCIv1 as {
    architecture: string
    os: string
    config: Record<string, unknown> & { Labels: Record<string, string> }
  }
}

/** A working container of `image`, mounted (vfs: a plain directory); removed after `use`. */
async function withMountedContainer<T>(
  image: string,
  use: (container: string, rootfs: string) => Promise<T>,
): Promise<T> {
  const container = (await clients.buildah(['from', image])).stdout.trim()
  try {
    const rootfs = (await clients.buildah(['mount', container])).stdout.trim()
    return await use(container, rootfs)
  } finally {
    await clients.buildah(['rm', container])
  }
}

describe('packaging/container/build.sh', () => {
  let image = ''

  test(
    'builds offline; the image runs `zot serve /etc/zot/config.json` on port 5000 with a data volume',
    async () => {
      image = await build('--binary', release.binary('linux-x64'), '--tag', 'localhost/zot-bun:packaging-test')
      expect(image).toBe('localhost/zot-bun:packaging-test')
      const oci = await inspectImage(image)
      expect(oci.os).toBe('linux')
      expect(oci.architecture).toBe('amd64')
      expect(oci.config.Entrypoint).toEqual(['/usr/local/bin/zot', 'serve', '/etc/zot/config.json'])
      expect(oci.config.Cmd ?? []).toEqual([])
      expect(oci.config.ExposedPorts).toEqual({ '5000/tcp': {} })
      expect(oci.config.Volumes).toEqual({ '/var/lib/zot': {} })
      expect(oci.config.User).toBe(`${UID}:${UID}`)
      expect(oci.config.WorkingDir).toBe('/var/lib/zot')
      const [, packageVersion, commit] = /^zot (\S+) \(commit (\w+),/.exec(version)!
      expect(oci.config.Labels['org.opencontainers.image.version']).toBe(packageVersion!)
      expect(oci.config.Labels['org.opencontainers.image.revision']).toBe(commit!)
    },
    TIMEOUT_MS,
  )

  test(
    'holds the binary, the glibc files it links, the example config and nothing else',
    async () => {
      await withMountedContainer(image, async (_container, rootfs) => {
        const files: string[] = []
        for (const entry of await readdir(rootfs, { recursive: true, withFileTypes: true })) {
          if (entry.isFile()) files.push(relative(rootfs, join(entry.parentPath, entry.name)))
        }
        const libraries = files.filter((file) => /^lib(64)?\//.test(file))
        expect(files.filter((file) => !libraries.includes(file)).sort()).toEqual([
          'etc/group',
          'etc/nsswitch.conf',
          'etc/passwd',
          'etc/zot/config.json',
          'usr/local/bin/zot',
        ])
        for (const library of libraries) expect(library).toMatch(/\/(ld-linux[\w-]*|lib\w+)\.so(\.\d+)*$/)
        expect(libraries).toContain('lib64/ld-linux-x86-64.so.2')
        expect(libraries.some((library) => library.endsWith('/libc.so.6'))).toBe(true)
        expect(await readFile(join(rootfs, 'etc/zot/config.json'), 'utf8')).toBe(
          await readFile(join(PACKAGING, 'container/config.json'), 'utf8'),
        )
        const config = JSON.parse(await readFile(join(rootfs, 'etc/zot/config.json'), 'utf8'))
        expect(config.http).toEqual({ address: '0.0.0.0', port: '5000' })
        expect(config.storage.rootDirectory).toBe('/var/lib/zot')
        const data = await stat(join(rootfs, 'var/lib/zot'))
        expect([data.uid, data.gid]).toEqual([UID, UID])
        expect((await stat(join(rootfs, 'tmp'))).mode & 0o7777).toBe(0o1777)
      })
    },
    TIMEOUT_MS,
  )

  test(
    'starts inside the image as its non-root user and serves a push/pull round trip',
    async () => {
      const port = await freePort()
      const scratch = await temporaryDirectory('container-run')
      const config = join(scratch, 'config.json')
      // The image's own storage root; only the port differs from the shipped config.
      await writeFile(
        config,
        JSON.stringify({
          storage: { rootDirectory: '/var/lib/zot' },
          http: { address: '127.0.0.1', port: String(port) },
          log: { level: 'warn' },
        }),
      )
      const container = (await clients.buildah(['from', image])).stdout.trim()
      try {
        await clients.buildah(['copy', container, config, '/tmp/test.json'])
        const registry = await startServing(
          ['buildah', 'run', '--isolation', 'chroot', container, '--', '/usr/local/bin/zot', 'serve', '/tmp/test.json'],
          port,
          { env: env(), pidOf: (launcher) => descendantRunning(launcher, '/usr/local/bin/zot serve') },
        )
        try {
          const status = await readFile(`/proc/${registry.pid}/status`, 'utf8')
          expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(UID))
          await pushAndPullImage(registry.url, 'container/round-trip', 'v1')
        } finally {
          expect(await registry.stop()).toBe(0)
        }
      } finally {
        await clients.buildah(['rm', container])
      }
    },
    TIMEOUT_MS,
  )

  test(
    "builds the arm64 image from the host, and its binary starts with only the image's libraries",
    async () => {
      const missing = await ensureTool(hasCommand('qemu-aarch64-static'), ['qemu-user-static', 'libc6-arm64-cross'])
      if (missing) throw new Error(`qemu-aarch64-static: ${missing}`)
      await ensureTool(() => Bun.file('/usr/aarch64-linux-gnu/lib/libc.so.6').size > 0, ['libc6-arm64-cross'])
      const arm64 = await build(
        '--arch',
        'arm64',
        '--binary',
        release.binary('linux-arm64'),
        '--tag',
        'localhost/zot-bun:packaging-test-arm64',
      )
      const oci = await inspectImage(arm64)
      expect(oci.architecture).toBe('arm64')
      expect(oci.config.Entrypoint).toEqual(['/usr/local/bin/zot', 'serve', '/etc/zot/config.json'])
      await withMountedContainer(arm64, async (_container, rootfs) => {
        expect(await Bun.file(join(rootfs, 'lib/ld-linux-aarch64.so.1')).exists()).toBe(true)
        const { stdout } = await mustRun([
          'qemu-aarch64-static',
          '-L',
          rootfs,
          join(rootfs, 'usr/local/bin/zot'),
          '--version',
        ])
        expect(stdout.trim()).toBe(version)
      })
    },
    TIMEOUT_MS,
  )
})
