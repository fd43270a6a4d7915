/**
 * @module
 * What to tell a user about a key the schema does not know. Known mistakes get a specific
 * explanation (zot has no inline sync credentials, pre-2.0 access-control layout, ...); other
 * keys get the nearest sibling ("did you mean") or, failing that, the place in the schema where
 * a key of that name does exist.
 */
import { configSchema } from '../schema'
import type { AnyNode } from '../schema/builder'
import { nearest } from './suggest'

export interface Advice {
  message: string
  fix?: string
}

interface KnownMistake {
  /** Schema path of the parent: `[]` for any array index, `*` for any map key. */
  parent: string
  keys: readonly string[]
  advise: (key: string, parent: Record<string, unknown>) => Advice
}

const KNOWN_MISTAKES: readonly KnownMistake[] = [
  {
    parent: 'extensions.sync.registries[]',
    keys: ['credentials', 'username', 'password', 'auth', 'token'],
    advise: (key, registry) => ({
      message:
        `zot has no inline \`${key}\` for a sync registry: upstream credentials go in ` +
        '`extensions.sync.credentialsFile`, a JSON file keyed by registry host',
      fix:
        'remove the key, write the credentials to a file such as /etc/zot/sync-credentials.json ' +
        `containing {"${firstHost(registry)}": {"username": "...", "password": "..."}} and set ` +
        '"credentialsFile": "/etc/zot/sync-credentials.json" under extensions.sync',
    }),
  },
  {
    parent: 'extensions.sync.registries[]',
    keys: ['insecure', 'skiptlsverify', 'insecureskipverify', 'tls', 'verifytls'],
    advise: () => ({
      message: 'TLS verification of an upstream is set with `tlsVerify`',
      fix: 'write "tlsVerify": false',
    }),
  },
  {
    parent: 'log',
    keys: ['file', 'path', 'filename'],
    advise: () => ({
      message: 'the log file is set with `output`',
      fix: 'rename the key to `output`',
    }),
  },
  {
    parent: 'http',
    keys: ['host', 'listen', 'bind', 'addr'],
    advise: () => ({
      message: 'the listen address is set with `address` (and the port with `port`)',
      fix: 'rename the key to `address`',
    }),
  },
  {
    parent: 'storage',
    keys: ['s3', 'gcs', 'azure', 'driver'],
    advise: (key) => ({
      message: 'remote storage is configured with `storageDriver`',
      fix: `write "storageDriver": {"name": "${key === 'driver' ? 's3' : key.toLowerCase()}", ...driver settings}`,
    }),
  },
]

/** Advice for an unknown key `key` inside an object at `schemaPath` with known `siblings`;
 * `searchConfigSchema` allows pointing to where a key of that name exists in the config. */
export function adviseUnknownKey(
  schemaPath: string,
  key: string,
  parent: Record<string, unknown>,
  siblings: readonly string[],
  searchConfigSchema: boolean,
): Advice {
  const lower = key.toLowerCase()
  const known = KNOWN_MISTAKES.find((mistake) => mistake.parent === schemaPath && mistake.keys.includes(lower))
  if (known) return known.advise(key, parent)
  if (schemaPath === 'http.accessControl' && /[*/]/.test(key)) {
    return {
      message: 'repository globs go under `http.accessControl.repositories` (the layout of zot 2.x)',
      fix: `move "${key}" into "repositories": {"${key}": {...}}`,
    }
  }
  const sibling = nearest(key, siblings)
  if (sibling)
    return {
      message: `unknown key; did you mean \`${sibling}\`?`,
      fix: `rename it to \`${sibling}\``,
    }
  const elsewhere = searchConfigSchema ? schemaPathsByKey().get(lower) : undefined
  if (elsewhere && elsewhere.length > 0) {
    const places = elsewhere
      .slice(0, 3)
      .map((place) => `\`${place}\``)
      .join(' or ')
    return {
      message: `\`${key}\` is not valid here; it belongs at ${places}`,
      fix: 'move it there',
    }
  }
  return {
    message: 'unknown key; zot refuses configs with unknown keys',
    fix: `remove it (keys allowed here: ${siblings.join(', ') || 'none'})`,
  }
}

function firstHost(registry: Record<string, unknown>): string {
  const urls = Object.entries(registry).find(([key]) => key.toLowerCase() === 'urls')?.[1]
  const first = Array.isArray(urls) ? urls[0] : urls
  try {
    return typeof first === 'string' ? new URL(first).host : 'registry.example.com'
  } catch {
    return 'registry.example.com'
  }
}

let byKey: Map<string, string[]> | undefined

/** Every schema path, indexed by its last key (lower-case), built once. */
function schemaPathsByKey(): Map<string, string[]> {
  if (byKey) return byKey
  const index = new Map<string, string[]>()
  const visit = (node: AnyNode, path: string): void => {
    if (node.kind === 'object') {
      for (const [key, child] of Object.entries(node.fields)) {
        const childPath = path === '' ? key : `${path}.${key}`
        index.set(key.toLowerCase(), [...(index.get(key.toLowerCase()) ?? []), childPath])
        visit(child, childPath)
      }
    } else if (node.kind === 'array') visit(node.item, `${path}[]`)
    else if (node.kind === 'map') visit(node.value, `${path}.*`)
  }
  visit(configSchema, '')
  byKey = index
  return index
}
