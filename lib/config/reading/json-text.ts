/**
 * @module
 * A strict JSON reader that says where a mistake is. `JSON.parse` in Bun reports "Unexpected
 * token" without a position, which is useless in a 200-line config; this parser gives line and
 * column plus a hint for the usual slips (trailing comma, missing comma, comments, single
 * quotes). It also reports keys written twice in one object, which JSON.parse silently merges.
 */

export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
    readonly hint?: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`)
    this.name = 'JsonSyntaxError'
  }
}

export interface DuplicateKey {
  key: string
  line: number
  firstLine: number
  /** Key path of the object holding the duplicate. */
  objectPath: string
}

export interface ParsedJson {
  value: unknown
  duplicates: DuplicateKey[]
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r'])
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
}
const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y

export function parseJsonText(text: string): ParsedJson {
  return new Reader(text.replace(/^\uFEFF/, '')).document()
}

class Reader {
  private offset = 0
  private readonly duplicates: DuplicateKey[] = []

  constructor(private readonly text: string) {}

  document(): ParsedJson {
    const value = this.value('')
    this.skipSpace()
    if (this.offset < this.text.length) this.fail('unexpected text after the end of the document')
    return { value, duplicates: this.duplicates }
  }

  private value(path: string): unknown {
    this.skipSpace()
    const char = this.text[this.offset]
    if (char === '{') return this.object(path)
    if (char === '[') return this.array(path)
    if (char === '"') return this.string()
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return this.number()
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.offset)) {
        this.offset += word.length
        return value
      }
    }
    if (char === undefined) this.fail('the document ends where a value was expected')
    if (char === "'") this.fail('strings need double quotes', 'replace the single quotes with "')
    if (char === '}' || char === ']') {
      this.fail(`expected a value, found \`${char}\``, 'remove the trailing comma before it')
    }
    this.fail(`expected a value, found \`${char}\``, 'quote text values: "like this"')
  }

  private object(path: string): Record<string, unknown> {
    const result: Record<string, unknown> = {}
    const keyLines = new Map<string, number>()
    this.offset++
    this.skipSpace()
    if (this.take('}')) return result
    for (;;) {
      this.skipSpace()
      if (this.peek() !== '"') {
        const hint = this.peek() === '}' ? 'remove the trailing comma before `}`' : 'keys need double quotes'
        this.fail(`expected a key in double quotes, found \`${this.peek() ?? 'end of file'}\``, hint)
      }
      const line = this.position().line
      const key = this.string()
      const firstLine = keyLines.get(key)
      if (firstLine !== undefined) this.duplicates.push({ key, line, firstLine, objectPath: path })
      keyLines.set(key, line)
      this.skipSpace()
      if (!this.take(':')) this.fail(`expected \`:\` after the key "${key}"`)
      result[key] = this.value(path === '' ? key : `${path}.${key}`)
      const valueEnd = this.offset
      this.skipSpace()
      if (this.take('}')) return result
      if (!this.take(',')) this.failMissing('}', valueEnd)
    }
  }

  private array(path: string): unknown[] {
    const result: unknown[] = []
    this.offset++
    this.skipSpace()
    if (this.take(']')) return result
    for (;;) {
      result.push(this.value(`${path}[${result.length}]`))
      const valueEnd = this.offset
      this.skipSpace()
      if (this.take(']')) return result
      if (!this.take(',')) this.failMissing(']', valueEnd)
    }
  }

  private string(): string {
    let result = ''
    this.offset++
    for (;;) {
      const char = this.text[this.offset]
      if (char === undefined) this.fail('a string is not closed', 'add the closing "')
      if (char === '"') break
      if (char === '\n') this.fail('a string is not closed before the end of the line', 'add the closing "')
      if (char === '\\') {
        const escaped = this.text[this.offset + 1] ?? ''
        if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.offset + 2, this.offset + 6))) {
          result += String.fromCharCode(Number.parseInt(this.text.slice(this.offset + 2, this.offset + 6), 16))
          this.offset += 6
          continue
        }
        const decoded = ESCAPES[escaped]
        if (decoded === undefined)
          this.fail(`invalid escaped \`\\${escaped}\` in a string`, 'write a backslash as \\\\')
        result += decoded
        this.offset += 2
        continue
      }
      result += char
      this.offset++
    }
    this.offset++
    return result
  }

  private number(): number {
    NUMBER.lastIndex = this.offset
    const match = NUMBER.exec(this.text)
    if (!match || match[0] === '-') this.fail('invalid number')
    this.offset += match[0].length
    return Number(match[0])
  }

  private skipSpace(): void {
    while (this.offset < this.text.length) {
      const char = this.text[this.offset] ?? ''
      if (WHITESPACE.has(char)) this.offset++
      else if (char === '/' && (this.text[this.offset + 1] === '/' || this.text[this.offset + 1] === '*')) {
        this.fail('JSON has no comments', 'remove the comment, or write the config as YAML (.yaml) which has them')
      } else return
    }
  }

  /** A missing comma is reported where the comma belongs: right after the previous value. */
  private failMissing(closer: string, valueEnd: number): never {
    const found = this.peek()
    if (found === '"' || found === '{' || found === '[') {
      this.offset = valueEnd
      this.fail(`missing \`,\` after this value (the next one starts with \`${found}\`)`, 'add a comma here')
    }
    this.fail(`expected \`,\` or \`${closer}\`, found \`${found ?? 'end of file'}\``)
  }

  private take(char: string): boolean {
    if (this.text[this.offset] !== char) return false
    this.offset++
    return true
  }

  private peek(): string | undefined {
    return this.text[this.offset]
  }

  private position(): { line: number; column: number } {
    const before = this.text.slice(0, this.offset)
    const line = before.split('\n').length
    return { line, column: this.offset - before.lastIndexOf('\n') }
  }

  private fail(reason: string, hint?: string): never {
    const { line, column } = this.position()
    throw new JsonSyntaxError(line, column, reason, hint)
  }
}
