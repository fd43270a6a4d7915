/**
 * @module
 * Where the checkout is, for tests that run its entry point or its compiled binary.
 */
import { resolve } from 'node:path'

export const REPOSITORY_ROOT = resolve(import.meta.dir, '../..')
