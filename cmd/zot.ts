#!/usr/bin/env bun
/**
 * @module
 * The `zot` command: `serve`, `verify-config` (alias `verify`), `gc`, `scrub`, `schema`,
 * `completion`, `man`, `--version` (cmd/program.ts assembles them).
 */
import { createProgram } from './program'
import { quietOnClosedPipe } from './closed-pipe'

quietOnClosedPipe()
await createProgram().parseAsync(process.argv)
