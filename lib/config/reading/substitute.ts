/**
 * @module
 * Secrets without init containers: any string value may hold `${env:NAME}` or `${file:PATH}`,
 * alone or inside other text, and is replaced when the config is loaded. `$${...}` stands for a
 * literal `${...}`. File contents lose their trailing newlines (secret files mounted by
 * Kubernetes or written with `echo` usually end with one).
 */
import { readFileSync } from 'node:fs'
import { entryPath, itemPath, type FindingList } from '../findings'

const REFERENCE = /\$(\$?)\{(env|file):([^}]*)\}/g
const UNSUPPORTED_REFERENCE = /(?<!\$)\$\{(?!env:|file:)([A-Za-z_][A-Za-z0-9_]*)\}/
const INIT_CONTAINER_PLACEHOLDER = /^__[A-Z][A-Z0-9_]*__$/

export interface Environment {
  env: Readonly<Record<string, string | undefined>>
  readFile: (path: string) => string
}

export const processEnvironment: Environment = {
  env: process.env,
  readFile: (path) => readFileSync(path, 'utf8'),
}

/** Returns a copy of `value` with every reference replaced; problems become findings. */
export function substituteSecrets(value: unknown, findings: FindingList, environment = processEnvironment): unknown {
  return walk(value, '', findings, environment)
}

function walk(value: unknown, path: string, findings: FindingList, environment: Environment): unknown {
  if (typeof value === 'string') return substituteString(value, path, findings, environment)
  if (Array.isArray(value)) return value.map((item, index) => walk(item, itemPath(path, index), findings, environment))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, walk(item, entryPath(path, key), findings, environment)]),
    )
  }
  return value
}

function substituteString(text: string, path: string, findings: FindingList, environment: Environment): string {
  warnAboutForeignPlaceholders(text, path, findings)
  return text.replace(REFERENCE, (whole, escaped: string, source: string, name: string) => {
    if (escaped) return whole.slice(1)
    return source === 'env' ? fromEnv(name, path, findings, environment) : fromFile(name, path, findings, environment)
  })
}

function fromEnv(name: string, path: string, findings: FindingList, environment: Environment): string {
  const value = environment.env[name]
  if (value !== undefined) return value
  findings.error(path, `environment variable ${name} is not set (referenced as \${env:${name}})`, {
    fix: `set ${name} in the environment of zot, or replace the reference with the value`,
  })
  return ''
}

function fromFile(file: string, path: string, findings: FindingList, environment: Environment): string {
  try {
    return environment.readFile(file).replace(/[\r\n]+$/, '')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'
    findings.error(path, `secret file ${file} ${reason} (referenced as \${file:${file}})`, {
      fix: 'mount the file at that path, or correct the path (relative paths start at the working directory)',
    })
    return ''
  }
}

function warnAboutForeignPlaceholders(text: string, path: string, findings: FindingList): void {
  const shellStyle = UNSUPPORTED_REFERENCE.exec(text)
  if (shellStyle) {
    findings.warn(path, `\`${shellStyle[0]}\` is not substituted; only \${env:NAME} and \${file:PATH} are`, {
      value: text,
      fix: `write \${env:${shellStyle[1]}} to read the environment variable`,
    })
  } else if (INIT_CONTAINER_PLACEHOLDER.test(text)) {
    findings.warn(path, 'the value looks like a placeholder meant to be replaced before start', {
      value: text,
      fix:
        `zot-bun can read it directly: write "\${env:${text.replace(/^_+|_+$/g, '')}}" ` +
        'or "${file:/path/to/secret}"',
    })
  }
}
