/**
 * @module
 * `zot completion bash|zsh|fish` and `zot man`: generated from the program's definitions, so
 * every command, alias and option appears; the bash script parses and completes; the man page
 * has its sections and renders. And a reader that goes away mid-output ends `zot` quietly.
 */
import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { createProgram } from '../../cmd/program'
import { commandWords, describeProgram, optionWords } from '../../lib/cli/program-spec'

const CLI = join(import.meta.dir, '../../cmd/zot.ts')
const program = describeProgram(createProgram())
const commands = program.commands.flatMap((command) => [command, ...command.subcommands])
const everyCommand = commands.flatMap(commandWords)
const everyOption = [...program.options, ...commands.flatMap((command) => command.options)].flatMap(optionWords)

function zot(...args: string[]): { code: number; out: string; err: string } {
  const run = Bun.spawnSync(['bun', CLI, ...args])
  return { code: run.exitCode, out: run.stdout.toString(), err: run.stderr.toString() }
}

describe('zot completion', () => {
  test('the program has the commands and options the scripts must cover', () => {
    expect(everyCommand).toEqual(
      expect.arrayContaining(['serve', 'verify-config', 'verify', 'gc', 'scrub', 'dedupe', 'schema']),
    )
    expect(everyCommand).toEqual(expect.arrayContaining(['completion', 'man', 'help', 'sync', 'warm']))
    expect(everyOption).toEqual(expect.arrayContaining(['--platform', '--concurrency', '--password-stdin']))
    expect(everyOption).toEqual(
      expect.arrayContaining(['--version', '-v', '--help', '--json', '--dry-run', '--restore']),
    )
  })

  for (const shell of ['bash', 'zsh', 'fish']) {
    test(`${shell}: names every command, alias and option, and the shells to complete`, () => {
      const { code, out, err } = zot('completion', shell)
      expect(err).toBe('')
      expect(code).toBe(0)
      for (const word of everyCommand) expect(out).toMatch(new RegExp(`(^|[\\s'|(])${word}($|[\\s'|):])`, 'm'))
      // fish writes -l json / -s v; the others write the option as typed.
      for (const word of everyOption) {
        const fishForm = word.startsWith('--') ? `-l ${word.slice(2)}` : `-s ${word.slice(1)}`
        expect(out).toContain(shell === 'fish' ? fishForm : word)
      }
      expect(out).toContain('bash zsh fish')
    })
  }

  test('bash: parses, and completes commands, options and the shell names', () => {
    const script = zot('completion', 'bash').out
    const complete = (line: string): string[] => {
      const words = line.split(' ')
      const probe = `${script}
COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_zot_completion; printf '%s\\n' "\${COMPREPLY[@]}"`
      const run = Bun.spawnSync(['bash', '-c', probe])
      expect(run.stderr.toString()).toBe('')
      return run.stdout.toString().split('\n').filter(Boolean)
    }
    expect(Bun.spawnSync(['bash', '-n'], { stdin: new TextEncoder().encode(script) }).exitCode).toBe(0)
    expect(complete('zot s')).toEqual(['serve', 'scrub', 'sync', 'schema'])
    // A command group: its subcommands, then the subcommand's options.
    expect(complete('zot sync ')).toEqual(['warm', 'help'])
    expect(complete('zot sync warm --p')).toEqual(['--platform', '--password-stdin'])
    expect(complete('zot ver')).toEqual(['verify-config', 'verify'])
    expect(complete('zot gc --')).toEqual(['--dry-run', '--json', '--help'])
    expect(complete('zot d')).toEqual(['dedupe'])
    expect(complete('zot dedupe --')).toEqual(['--restore', '--json', '--help'])
    expect(complete('zot verify --')).toEqual(['--strict', '--check-files', '--json', '--help'])
    expect(complete('zot completion ')).toEqual(['bash', 'zsh', 'fish'])
    // A config file: bash's own file-name completion (complete -o default).
    expect(complete('zot scrub con')).toEqual([])
    expect(complete('zot dedupe con')).toEqual([])
  })

  test('zsh: parses', () => {
    const run = Bun.spawnSync(['zsh', '-n'], { stdin: new TextEncoder().encode(zot('completion', 'zsh').out) })
    expect(run.stderr.toString()).toBe('')
    expect(run.exitCode).toBe(0)
  })

  test('fish: parses', () => {
    const run = Bun.spawnSync(['fish', '--no-execute'], {
      stdin: new TextEncoder().encode(zot('completion', 'fish').out),
    })
    expect(run.stderr.toString()).toBe('')
    expect(run.exitCode).toBe(0)
  })

  test('an unknown shell is refused with the choices', () => {
    const { code, err } = zot('completion', 'tcsh')
    expect(code).toBe(1)
    expect(err).toContain('bash, zsh, fish')
  })
})

describe('zot man', () => {
  const page = zot('man').out

  test('has NAME, SYNOPSIS, OPTIONS and COMMANDS with every command, alias and option', () => {
    const sections = page.split('\n').filter((line) => line.startsWith('.SH '))
    expect(sections).toEqual(expect.arrayContaining(['.SH NAME', '.SH SYNOPSIS', '.SH OPTIONS', '.SH COMMANDS']))
    expect(page.startsWith('.TH ZOT 1 ')).toBe(true)
    const commands = page.slice(page.indexOf('.SH COMMANDS'))
    // roff escapes hyphens: verify-config is written verify\-config.
    for (const word of everyCommand) expect(commands).toContain(word.replaceAll('-', '\\-'))
    for (const word of everyOption) expect(page).toContain(word.replaceAll('-', '\\-'))
  })

  test('renders without warnings', () => {
    const run = Bun.spawnSync(['groff', '-man', '-Tutf8', '-ww', '-z'], { stdin: new TextEncoder().encode(page) })
    expect(run.stderr.toString()).toBe('')
    expect(run.exitCode).toBe(0)
  })
})

describe('a closed pipe', () => {
  test('ends zot quietly: no EPIPE dump on stderr', async () => {
    // The reader takes one chunk and goes away while `zot schema` still writes (about 200 KB).
    const run = Bun.spawn(['bash', '-c', `bun ${CLI} schema | head -c 1 >/dev/null; echo "status \${PIPESTATUS[0]}"`], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [out, err] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text()])
    expect(await run.exited).toBe(0)
    // 141: what a shell reports for a process that SIGPIPE ended, as for other tools.
    expect(out.trim()).toBe('status 141')
    expect(err).not.toMatch(/EPIPE|broken pipe|at \w+ \(/)
  })
})
