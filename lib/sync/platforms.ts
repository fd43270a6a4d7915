/**
 * @module
 * zot's `sync.registries[].platforms` (zot 2.1, with the older `architectures` as arch-only
 * entries): which children of a multi-platform index sync copies. As in zot, an entry is
 * `os/arch` or a bare `arch`, an empty part matches anything, and a child that names no platform
 * is always included. zot reads `os/arch/variant` as an architecture that never matches (or, on
 * its other code path, as matching everything); here the variant must match too, and an entry
 * without one matches every variant (`linux/arm` takes `linux/arm/v6` and `linux/arm/v7`).
 */
import { arch } from 'node:os'
import type { Descriptor } from '../oci/manifest'

export interface PlatformSpec {
  os?: string
  architecture?: string
  variant?: string
}

/** `linux/arm64` → os and architecture; `arm64` → architecture only; `linux/arm/v7` → all three. */
export function parsePlatform(text: string): PlatformSpec {
  const parts = text.trim().split('/')
  const part = (value: string | undefined): string | undefined => (value ? value : undefined)
  if (parts.length === 1) return { architecture: part(parts[0]) }
  return { os: part(parts[0]), architecture: part(parts[1]), variant: part(parts[2]) }
}

/** The specs of a registry entry: `platforms`, then the deprecated `architectures`. */
export function platformSpecs(registry: {
  platforms: readonly string[]
  architectures: readonly string[]
}): PlatformSpec[] {
  return [...registry.platforms, ...registry.architectures].map((text) => parsePlatform(text))
}

const field = (platform: Record<string, unknown>, key: string): string | undefined =>
  typeof platform[key] === 'string' ? (platform[key] as string) : undefined

/**
 * Whether an index child is wanted: no specs (no filter) or no platform on the child means yes,
 * else some spec must match it.
 */
export function platformWanted(child: Pick<Descriptor, 'platform'>, specs: readonly PlatformSpec[]): boolean {
  const { platform } = child
  if (specs.length === 0 || !platform) return true
  const os = field(platform, 'os')
  const architecture = field(platform, 'architecture')
  const variant = field(platform, 'variant')
  return specs.some(
    (spec) =>
      (!spec.os || spec.os === os) &&
      (!spec.architecture || spec.architecture === architecture) &&
      (!spec.variant || spec.variant === variant),
  )
}

/** `os/arch[/variant]` of an index child, for logs and error details. */
export function platformLabel(platform: Record<string, unknown> | undefined): string {
  if (!platform) return 'no platform'
  return [field(platform, 'os'), field(platform, 'architecture'), field(platform, 'variant')]
    .filter((part) => part !== undefined)
    .join('/')
}

/**
 * The platform of the machine this process runs on, as an image for it is labelled: containers
 * are Linux images whatever the host (a Mac mini runs them in a Linux VM), and Bun runs on x64
 * and arm64 only. Asked of `node:os` at run time: the bundler writes `process.arch` into each
 * cross-compiled binary as a constant, and the release's four binaries embed one program
 * (tests/packaging/release.test.ts).
 */
export function hostPlatform(): PlatformSpec {
  const machine = arch()
  return { os: 'linux', architecture: machine === 'x64' ? 'amd64' : machine }
}
