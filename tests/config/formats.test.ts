/**
 * @module
 * JSON, YAML and TOML by file extension (or each in turn without one), and syntax errors that
 * point at the mistake.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { ConfigError, loadConfigFile, parseConfigText } from '../../lib/config'
import { inspectConfigFile, inspectConfigText } from '../../lib/config/load'
import { makeTempFiles } from './helpers'
import { runZot } from '../support/zot-cli'

const files = makeTempFiles()
afterAll(() => files.remove())

const YAML = `
storage:
  rootDirectory: /srv/zot
  gcInterval: 1h30m
http:
  address: 0.0.0.0
  port: 5000
extensions:
  sync:
    registries:
      - urls: [https://ghcr.io]
        onDemand: true
        content:
          - prefix: "**"
            destination: /ghcr.io
`

const TOML = `
[storage]
rootDirectory = "/srv/zot"
gcInterval = "1h30m"

[http]
address = "0.0.0.0"
port = 5000

[[extensions.sync.registries]]
urls = ["https://ghcr.io"]
onDemand = true

[[extensions.sync.registries.content]]
prefix = "**"
destination = "/ghcr.io"
`

async function syntaxError(text: string) {
  const { findings } = await inspectConfigText(text, 'json')
  expect(findings).toHaveLength(1)
  return findings[0]
}

describe('formats', () => {
  test('YAML and TOML decode to the same config as JSON', async () => {
    const fromYaml = (await parseConfigText(YAML, 'yaml', 'config.yaml')).config
    const fromToml = (await parseConfigText(TOML, 'toml', 'config.toml')).config
    expect(fromYaml.storage.gcInterval).toBe(90 * 60_000)
    expect(fromYaml.extensions?.sync?.registries[0]?.content?.[0]).toEqual({
      prefix: '**',
      destination: '/ghcr.io',
      stripPrefix: false,
    })
    expect(fromToml).toEqual(fromYaml)
  })

  test('the file extension picks the parser', async () => {
    const yamlFile = files.write('config.yml', YAML)
    const tomlFile = files.write('config.toml', TOML)
    expect((await loadConfigFile(yamlFile)).config.http.port).toBe(5000)
    expect((await loadConfigFile(tomlFile)).config.http.port).toBe(5000)
    // YAML read as JSON fails: the extension is authoritative.
    const misnamed = files.write('yaml-inside.json', YAML)
    expect((await inspectConfigFile(misnamed)).findings[0]?.message).toStartWith(
      'JSON syntax error at line 2, column 1',
    )
  })

  test('without a known extension each format is tried', async () => {
    expect((await loadConfigFile(files.write('zot-config', TOML))).config.storage.rootDirectory).toBe('/srv/zot')
    const { findings } = await inspectConfigFile(files.write('garbage.conf', '{{{ nope'))
    expect(findings[0]?.message).toStartWith(
      'the file is not JSON, YAML or TOML (JSON syntax error at line 1, column 2:',
    )
  })

  test('formats zot-bun does not read are named', async () => {
    const { findings } = await inspectConfigFile(files.write('config.hcl', 'storage {}'))
    expect(findings[0]?.message).toBe('zot-bun reads JSON, YAML and TOML configs, not .hcl')
  })

  test('a missing config file is an error, not an exception', async () => {
    const { findings } = await inspectConfigFile(`${files.dir}/nope.json`)
    expect(findings[0]?.message).toBe(`config file not found: ${files.dir}/nope.json`)
    await expect(loadConfigFile(`${files.dir}/nope.json`)).rejects.toBeInstanceOf(ConfigError)
  })

  test('a YAML list or several documents are not a config', async () => {
    const { findings } = await inspectConfigText('- a\n- b\n', 'yaml')
    expect(findings[0]?.message).toBe('the config must be a mapping of keys at the top level')
  })
})

describe('YAML and TOML syntax errors give the line', () => {
  const yamlError = async (text: string) => (await inspectConfigText(text, 'yaml')).findings[0]

  test('the line a YAML mistake is on, with its text in the fix', async () => {
    const broken = 'storage:\n  rootDirectory: /srv/zot\nhttp:\n  port: "5000"\n  address: [oops\n'
    expect(await yamlError(broken)).toMatchObject({
      message: 'YAML syntax error at line 5: Unexpected token',
      fix: 'check the indentation (spaces only), brackets and quotes of line 5: "  address: [oops"',
    })
    expect((await yamlError('storage:\n  rootDirectory: /srv/zot\n address: x\n'))?.message).toStartWith(
      'YAML syntax error at line 3:',
    )
  })

  test('values that span lines are not mistaken for the error; an unclosed quote is found where it opens', async () => {
    expect((await yamlError('http:\n  port: [1,\n    2]\n  address: a: b\n'))?.message).toStartWith(
      'YAML syntax error at line 4:',
    )
    expect((await yamlError('storage:\n  rootDirectory: "/srv/zot\nhttp:\n  port: "5000"\n'))?.fix).toContain(
      'line 2: "  rootDirectory: \\"/srv/zot"',
    )
  })

  test('TOML too', async () => {
    const { findings } = await inspectConfigText('[storage]\nrootDirectory = "/x"\ngc =\n[http]\nport = 5000\n', 'toml')
    expect(findings[0]).toMatchObject({
      message: "TOML syntax error at line 3: Missing value after '='; values must be on the same line",
      fix: 'check line 3: "gc ="',
    })
  })

  test('zot verify-config prints the line and the fix', async () => {
    const file = files.write('broken.yaml', 'storage:\n  rootDirectory: /srv/zot\nhttp:\n  address: [oops\n')
    const { code, out, err } = await runZot('verify-config', file)
    expect(code).toBe(1)
    expect(out + err).toContain('YAML syntax error at line 4: Unexpected token\n  fix: check the indentation')
  })
})

describe('JSON syntax errors give line and column', () => {
  test('a missing comma is reported where the comma belongs', async () => {
    const finding = await syntaxError('{\n  "storage": {\n    "rootDirectory": "/srv"\n    "dedupe": true\n  }\n}')
    expect(finding?.message).toBe(
      'JSON syntax error at line 3, column 28: missing `,` after this value (the next one starts with `"`)',
    )
    expect(finding?.fix).toBe('add a comma here')
  })

  test('a trailing comma', async () => {
    const finding = await syntaxError('{\n  "http": {\n    "port": 5000,\n  }\n}')
    expect(finding?.message).toBe('JSON syntax error at line 4, column 3: expected a key in double quotes, found `}`')
    expect(finding?.fix).toBe('remove the trailing comma before `}`')
  })

  test('comments, single quotes, unquoted values and unclosed strings', async () => {
    expect((await syntaxError('{\n  // main store\n}'))?.message).toBe(
      'JSON syntax error at line 2, column 3: JSON has no comments',
    )
    expect((await syntaxError('{"a": \'b\'}'))?.message).toBe(
      'JSON syntax error at line 1, column 7: strings need double quotes',
    )
    expect((await syntaxError('{"a": yes}'))?.message).toBe(
      'JSON syntax error at line 1, column 7: expected a value, found `y`',
    )
    expect((await syntaxError('{"a": "b\n}'))?.message).toBe(
      'JSON syntax error at line 1, column 9: a string is not closed before the end of the line',
    )
  })

  test('a key written twice is an error naming both lines', async () => {
    const { findings } = await inspectConfigText(
      '{\n"storage": {"rootDirectory": "/a",\n"rootDirectory": "/b"}\n}',
      'json',
    )
    expect(findings).toEqual([
      expect.objectContaining({
        path: 'storage.rootDirectory',
        message: expect.stringContaining('written twice in the same object (lines 2 and 3)'),
      }),
    ])
  })

  test('YAML and TOML errors name the problem', async () => {
    expect((await inspectConfigText('storage:\n\trootDirectory: /x', 'yaml')).findings[0]?.message).toBe(
      'YAML syntax error at line 2: Tab characters cannot be used as indentation',
    )
    expect((await inspectConfigText('[storage]\nrootDirectory = \n', 'toml')).findings[0]?.message).toStartWith(
      'TOML syntax error at line 2: Missing value',
    )
  })
})
