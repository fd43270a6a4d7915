/**
 * @module
 * `bun run release`: the release binaries `dist/zot-<os>-<arch>` for linux-x64, linux-arm64,
 * darwin-arm64 and darwin-x64, each built by `scripts/build.ts` (minified, no source map, the
 * commit baked in) and each with a `<file>.sha256` in `sha256sum` format, so that
 * `sha256sum -c zot-linux-arm64.sha256` (or `shasum -a 256 -c` on macOS) checks a download.
 *
 * Bun has no 32-bit ARM build: a Raspberry Pi 3, 4 or 5 needs a 64-bit OS and runs linux-arm64.
 *
 * Options: `--outdir DIR` (default `dist`); `--targets a,b` to build some of them, including
 * `linux-x64-baseline` (for x86-64 CPUs without AVX2, which the default linux-x64 build needs).
 * The targets build one after the other: the cross-compiled runtimes come from the npm registry
 * on first use and are cached by Bun afterwards.
 *
 * macOS binaries must carry a valid code signature (Apple Silicon kills anything else at exec).
 * Bun 1.4.5 ad-hoc signs its darwin-arm64 output, but its darwin-x64 output keeps the runtime's
 * original Developer ID signature, which the appended program invalidates (oven-sh/bun#39837):
 * whenever the signature does not match the bytes, the binary is re-signed here, ad hoc, the way
 * Bun and ld64 sign (a linker-signed CodeDirectory of SHA-256 page hashes, no entitlements, no
 * hardened runtime, so the JIT needs none). No macOS tools are needed for that.
 *
 * @example
 * bun scripts/release.ts
 * bun scripts/release.ts --outdir /tmp/release --targets linux-x64,linux-arm64
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

/** Release name (`zot-<name>`) → Bun's `--target`. */
export const RELEASE_TARGETS: Record<string, string> = {
  'linux-x64': 'bun-linux-x64',
  'linux-arm64': 'bun-linux-arm64',
  'darwin-arm64': 'bun-darwin-arm64',
  'darwin-x64': 'bun-darwin-x64',
}
const OPTIONAL_TARGETS: Record<string, string> = {
  'linux-x64-baseline': 'bun-linux-x64-baseline',
  'darwin-x64-baseline': 'bun-darwin-x64-baseline',
}

const REPOSITORY_ROOT = resolve(import.meta.dir, '..')

/** Hex SHA-256 of a file, streamed (the binaries are about 100 MB). */
export async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher('sha256')
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk)
  return hasher.digest('hex')
}

// --- Mach-O ad-hoc code signing ------------------------------------------------------------------

const MH_MAGIC_64 = 0xfeedfacf
const MH_EXECUTE = 2
const LC_SEGMENT_64 = 0x19
const LC_CODE_SIGNATURE = 0x1d
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0
const CSMAGIC_CODEDIRECTORY = 0xfade0c02
const CS_ADHOC = 0x2
const CS_LINKER_SIGNED = 0x20000
const CS_EXECSEG_MAIN_BINARY = 0x1
const PAGE_SIZE = 4096

interface MachOLayout {
  /** File offset of the LC_CODE_SIGNATURE load command. */
  signatureCommand: number
  signatureOffset: number
  signatureSize: number
  /** File offset of the __LINKEDIT LC_SEGMENT_64 command, and the segment's file offset. */
  linkeditCommand: number
  linkeditFileOffset: number
  textFileOffset: number
  textFileSize: number
  executable: boolean
}

function machOLayout(file: Buffer): MachOLayout {
  if (file.readUInt32LE(0) !== MH_MAGIC_64) throw new Error('not a 64-bit little-endian Mach-O file')
  const layout: Partial<MachOLayout> = { executable: file.readUInt32LE(12) === MH_EXECUTE }
  let offset = 32
  for (let index = 0, count = file.readUInt32LE(16); index < count; index++) {
    const command = file.readUInt32LE(offset)
    if (command === LC_CODE_SIGNATURE) {
      layout.signatureCommand = offset
      layout.signatureOffset = file.readUInt32LE(offset + 8)
      layout.signatureSize = file.readUInt32LE(offset + 12)
    } else if (command === LC_SEGMENT_64) {
      const name = file.toString('latin1', offset + 8, offset + 24).replace(/\0.*$/s, '')
      if (name === '__LINKEDIT') {
        layout.linkeditCommand = offset
        layout.linkeditFileOffset = Number(file.readBigUInt64LE(offset + 40))
      } else if (name === '__TEXT') {
        layout.textFileOffset = Number(file.readBigUInt64LE(offset + 40))
        layout.textFileSize = Number(file.readBigUInt64LE(offset + 48))
      }
    }
    offset += file.readUInt32LE(offset + 4)
  }
  if (
    layout.signatureCommand === undefined ||
    layout.linkeditCommand === undefined ||
    layout.textFileSize === undefined
  ) {
    throw new Error('Mach-O file without __TEXT, __LINKEDIT or LC_CODE_SIGNATURE')
  }
  return layout as MachOLayout
}

const pageHash = (file: Buffer, page: number, codeLimit: number) =>
  createHash('sha256')
    .update(file.subarray(page * PAGE_SIZE, Math.min((page + 1) * PAGE_SIZE, codeLimit)))
    .digest()

/**
 * True when the embedded signature covers the whole file up to itself, nothing follows it, and
 * every SHA-256 page hash of its CodeDirectory matches: what the kernel checks as pages load.
 */
export function machOSignatureIsValid(file: Buffer): boolean {
  const layout = machOLayout(file)
  if (layout.signatureOffset + layout.signatureSize !== file.length) return false
  const blob = file.subarray(layout.signatureOffset)
  if (blob.readUInt32BE(0) !== CSMAGIC_EMBEDDED_SIGNATURE) return false
  for (let index = 0, count = blob.readUInt32BE(8); index < count; index++) {
    const directory = blob.subarray(blob.readUInt32BE(12 + index * 8 + 4))
    if (directory.readUInt32BE(0) !== CSMAGIC_CODEDIRECTORY) continue
    const hashOffset = directory.readUInt32BE(16)
    const codeSlots = directory.readUInt32BE(28)
    const codeLimit = directory.readUInt32BE(32)
    if (directory.readUInt8(36) !== 32 || directory.readUInt8(37) !== 2 || directory.readUInt8(39) !== 12) return false
    if (codeLimit !== layout.signatureOffset || codeSlots !== Math.ceil(codeLimit / PAGE_SIZE)) return false
    for (let page = 0; page < codeSlots; page++) {
      const expected = directory.subarray(hashOffset + page * 32, hashOffset + (page + 1) * 32)
      if (!pageHash(file, page, codeLimit).equals(expected)) return false
    }
    return true
  }
  return false
}

/**
 * Replaces the signature of a Mach-O executable with an ad-hoc, linker-signed one over its
 * current bytes (the layout ld64 and Bun's darwin-arm64 output use), shrinking LC_CODE_SIGNATURE
 * and __LINKEDIT to it. Returns the new file.
 */
export function adHocSignMachO(file: Buffer, identifier: string): Buffer {
  const layout = machOLayout(file)
  const codeLimit = layout.signatureOffset
  const codeSlots = Math.ceil(codeLimit / PAGE_SIZE)
  const ident = Buffer.from(`${identifier}\0`, 'utf8')
  const headerSize = 88
  const directoryLength = headerSize + ident.length + codeSlots * 32
  const blobLength = 12 + 8 + directoryLength
  const head = Buffer.from(file.subarray(0, codeLimit))
  // Load commands first: they are in page 0, which the CodeDirectory hashes too.
  head.writeUInt32LE(blobLength, layout.signatureCommand + 12)
  const linkeditFileSize = codeLimit + blobLength - layout.linkeditFileOffset
  head.writeBigUInt64LE(BigInt(linkeditFileSize), layout.linkeditCommand + 48)
  const linkeditVmSize = Number(head.readBigUInt64LE(layout.linkeditCommand + 32))
  if (linkeditVmSize < linkeditFileSize) {
    head.writeBigUInt64LE(BigInt(Math.ceil(linkeditFileSize / 16384) * 16384), layout.linkeditCommand + 32)
  }

  const directory = Buffer.alloc(directoryLength)
  directory.writeUInt32BE(CSMAGIC_CODEDIRECTORY, 0)
  directory.writeUInt32BE(directoryLength, 4)
  directory.writeUInt32BE(0x20400, 8) // version with the exec segment fields
  directory.writeUInt32BE(CS_ADHOC | CS_LINKER_SIGNED, 12)
  directory.writeUInt32BE(headerSize + ident.length, 16) // hashOffset
  directory.writeUInt32BE(headerSize, 20) // identOffset
  directory.writeUInt32BE(0, 24) // nSpecialSlots
  directory.writeUInt32BE(codeSlots, 28)
  directory.writeUInt32BE(codeLimit, 32)
  directory.writeUInt8(32, 36) // hashSize
  directory.writeUInt8(2, 37) // hashType: SHA-256
  directory.writeUInt8(0, 38) // platform
  directory.writeUInt8(12, 39) // log2(page size)
  // spare2, scatterOffset, teamOffset, spare3 and codeLimit64 stay 0.
  directory.writeBigUInt64BE(BigInt(layout.textFileOffset), 64) // execSegBase
  directory.writeBigUInt64BE(BigInt(layout.textFileSize), 72) // execSegLimit
  directory.writeBigUInt64BE(BigInt(layout.executable ? CS_EXECSEG_MAIN_BINARY : 0), 80)
  ident.copy(directory, headerSize)
  for (let page = 0; page < codeSlots; page++)
    pageHash(head, page, codeLimit).copy(directory, headerSize + ident.length + page * 32)

  const superBlob = Buffer.alloc(20)
  superBlob.writeUInt32BE(CSMAGIC_EMBEDDED_SIGNATURE, 0)
  superBlob.writeUInt32BE(blobLength, 4)
  superBlob.writeUInt32BE(1, 8) // one blob: the CodeDirectory
  superBlob.writeUInt32BE(0, 12) // CSSLOT_CODEDIRECTORY
  superBlob.writeUInt32BE(20, 16)
  return Buffer.concat([head, superBlob, directory])
}

/** Re-signs a darwin binary in place when its signature does not match; says whether it did. */
async function ensureValidSignature(path: string): Promise<boolean> {
  const file = await readFile(path)
  if (machOSignatureIsValid(file)) return false
  const signed = adHocSignMachO(file, 'zot')
  if (!machOSignatureIsValid(signed)) throw new Error(`re-signing ${path} produced an invalid signature`)
  await writeFile(`${path}.signing`, signed, { mode: 0o755 })
  await rename(`${path}.signing`, path)
  return true
}

// --- main -------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      outdir: { type: 'string', default: 'dist' },
      targets: { type: 'string', default: Object.keys(RELEASE_TARGETS).join(',') },
    },
  })
  const outdir = resolve(values.outdir!)
  const names = values
    .targets!.split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  const known = { ...RELEASE_TARGETS, ...OPTIONAL_TARGETS }
  const unknown = names.filter((name) => !(name in known))
  if (unknown.length > 0) {
    console.error(`release: unknown target ${unknown.join(', ')} (known: ${Object.keys(known).join(', ')})`)
    return 2
  }
  await mkdir(outdir, { recursive: true })

  const built: { file: string; bytes: number; sha256: string }[] = []
  for (const name of names) {
    const file = join(outdir, `zot-${name}`)
    // A stale checksum must never sit next to a fresh (or failed) binary.
    await rm(`${file}.sha256`, { force: true })
    const build = Bun.spawnSync(
      [process.execPath, join(REPOSITORY_ROOT, 'scripts/build.ts'), '--target', known[name]!, '--outfile', file],
      { cwd: REPOSITORY_ROOT, stdout: 'inherit', stderr: 'inherit' },
    )
    if (build.exitCode !== 0) {
      console.error(`release: building zot-${name} failed`)
      return build.exitCode ?? 1
    }
    if (name.startsWith('darwin-') && (await ensureValidSignature(file))) {
      console.log(`re-signed zot-${name} ad hoc: Bun left a signature that does not match the binary`)
    }
    const sha256 = await sha256File(file)
    await writeFile(`${file}.sha256`, `${sha256}  ${basename(file)}\n`)
    built.push({ file, bytes: (await stat(file)).size, sha256 })
  }

  // The one binary this machine can run says which version every target carries (they embed
  // the same bundle; tests/packaging/release.test.ts checks that).
  const native = `${process.platform}-${process.arch}`
  const runnable = built.find(({ file }) => basename(file) === `zot-${native}`)
  if (runnable) {
    const version = Bun.spawnSync([runnable.file, '--version'])
    if (version.exitCode !== 0) {
      console.error(`release: ${runnable.file} --version failed`)
      return 1
    }
    console.log(version.stdout.toString().trim())
  }
  for (const { file, bytes, sha256 } of built) {
    console.log(`${basename(file).padEnd(26)} ${(bytes / 2 ** 20).toFixed(1).padStart(6)} MiB  sha256 ${sha256}`)
  }
  return 0
}

if (import.meta.main) process.exit(await main())
