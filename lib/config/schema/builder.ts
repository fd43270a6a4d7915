/**
 * @module
 * A small typed schema language for zot's configuration. Each node carries what every consumer
 * needs: the decoder (kind, default, weak-typing rules), the docs and JSON Schema generators
 * (description, default prose, example) and `serve` (per-key implementation status). The
 * TypeScript type of a decoded value is inferred from the node, so the schema is the one source
 * of truth for the `Config` type as well.
 */

/** Whether zot-bun honours a key yet. `planned` keys are parsed and validated but do nothing;
 * `serve` warns about each one in use. A key without a status inherits the status of the nearest
 * ancestor that sets one; with no such ancestor it is `planned`. */
export type Status = 'implemented' | 'planned'

/** Durations are Go duration strings in the file and milliseconds in the decoded config. */
export type DurationMs = number

export interface Doc {
  description: string
  status?: Status
  /** Prose for a default that depends on other keys or on the machine. */
  defaultNote?: string
  /** Shown in the docs and in "expected ..." messages. */
  example?: unknown
  /** Accepted for compatibility; decoding warns with this when the key is used. */
  deprecated?: { reason: string; fix: string }
}

export type ScalarKind = 'string' | 'path' | 'bool' | 'int' | 'number' | 'duration' | 'port' | 'size'

/** What every node has at runtime, independent of the TypeScript type it decodes to. */
interface Shape {
  readonly doc: Doc
  /** A fixed default, or a function for one computed per machine (e.g. from the CPU count). */
  readonly defaultValue?: unknown
  /** Absent from the file is an error. */
  readonly required: boolean
  /** The decoded value is always defined (default, required, or filled by a defaults rule). */
  readonly present: boolean
  /** Phantom: carries the decoded type for inference, never set at runtime. */
  readonly _type?: unknown
}

export interface ScalarShape extends Shape {
  readonly kind: ScalarKind
  readonly min?: number
  readonly max?: number
}

export interface EnumShape extends Shape {
  readonly kind: 'enum'
  readonly values: readonly string[]
  /** Extra spellings accepted and rewritten to a canonical value, e.g. `trace` → `debug`. */
  readonly aliases?: Readonly<Record<string, string>>
}

export interface ObjectShape extends Shape {
  readonly kind: 'object'
  readonly fields: Fields
}

export interface ArrayShape extends Shape {
  readonly kind: 'array'
  readonly item: AnyNode
}

/** How the keys of a map are stored: as written (repository globs, group names) or lower-cased
 * (identifiers zot matches case-insensitively, such as OpenID provider names). */
export type KeyCase = 'as-written' | 'lower'

export interface MapShape extends Shape {
  readonly kind: 'map'
  readonly value: AnyNode
  readonly keyCase: KeyCase
  /** What a key is, e.g. "repository glob" (the docs write `repositories.<repository glob>`). */
  readonly keyDoc: string
}

/** Settings handed to a driver untouched (`storageDriver`, `cacheDriver`, `sessionDriver`).
 * Keys are lower-cased like viper does, so `regionEndpoint` reaches the driver as
 * `regionendpoint`, exactly as in zot. */
export interface FreeMapShape extends Shape {
  readonly kind: 'free-map'
  /** The parameters the schema knows per driver `name` (lower-case keys): when `name` matches,
   * they are decoded like object fields (typed, checked, defaulted) and every other key passes
   * through untouched, as zot's drivers ignore parameters they do not know. An empty string
   * counts as unset. */
  readonly known?: Readonly<Record<string, Fields>>
}

export type AnyNode = ScalarShape | EnumShape | ObjectShape | ArrayShape | MapShape | FreeMapShape
export type Fields = { readonly [key: string]: AnyNode }
export type FreeMap = Record<string, unknown>

interface Typed<T, P extends boolean> {
  readonly defaultValue?: T | (() => T)
  readonly present: P
  readonly _type?: T
}

export type ScalarNode<T, P extends boolean> = ScalarShape & Typed<T, P>
export type EnumNode<T extends string, P extends boolean> = EnumShape &
  Typed<T, P> & {
    readonly values: readonly T[]
  }
export type ObjectNode<F extends Fields, P extends boolean> = ObjectShape &
  Typed<ObjectOf<F>, P> & { readonly fields: F }
export type ArrayNode<I extends AnyNode, P extends boolean> = ArrayShape & Typed<Infer<I>[], P> & { readonly item: I }
export type MapNode<V extends AnyNode, P extends boolean> = MapShape &
  Typed<Record<string, Infer<V>>, P> & { readonly value: V }
export type FreeMapNode<P extends boolean> = FreeMapShape & Typed<FreeMap, P>

/** The decoded TypeScript type of a node. */
export type Infer<N> = N extends { readonly _type?: infer T } ? T : never

type PresentKeys<F extends Fields> = {
  [K in keyof F]: F[K] extends { readonly present: true } ? K : never
}[keyof F]

type Simplify<T> = { [K in keyof T]: T[K] } & {}

export type ObjectOf<F extends Fields> = Simplify<
  { -readonly [K in PresentKeys<F>]: Infer<F[K]> } & {
    -readonly [K in Exclude<keyof F, PresentKeys<F>>]?: Infer<F[K]>
  }
>

/** Options shared by the builders. `filled` marks a key without a fixed default that a defaults
 * rule always fills (describe the rule in `defaultNote`). */
interface Options<T> extends Doc {
  default?: T | (() => T)
  required?: boolean
  filled?: boolean
}

type IsPresent<O> = O extends { default: unknown } | { required: true } | { filled: true } ? true : false

interface ScalarOptions<T> extends Options<T> {
  min?: number
  max?: number
}

function shape<T>(options: Options<T>): Shape {
  const { default: defaultValue, required, filled, ...doc } = options
  const present = defaultValue !== undefined || required === true || filled === true
  return { doc, defaultValue, required: required === true, present }
}

function scalar<T>(kind: ScalarKind) {
  return <O extends ScalarOptions<T>>(options: O): ScalarNode<T, IsPresent<O>> => {
    const { min, max, ...rest } = options
    const node: ScalarShape = {
      kind,
      ...shape(rest),
      ...(min === undefined ? {} : { min }),
      ...(max === undefined ? {} : { max }),
    }
    return node as ScalarNode<T, IsPresent<O>>
  }
}

export const str = scalar<string>('string')
/** A file or directory path; relative paths are resolved from the working directory, as in zot. */
export const path = scalar<string>('path')
export const bool = scalar<boolean>('bool')
export const int = scalar<number>('int')
export const num = scalar<number>('number')
/** A Go duration string (`90s`, `1h30m`, `500ms`), decoded to milliseconds. */
export const duration = scalar<DurationMs>('duration')
/** A TCP port: an integer or a numeric string, 0..65535. */
export const port = scalar<number>('port')
/** A byte count: a whole number of bytes, or a string with a unit (`"20GiB"`, `"500MB"`), decoded to bytes. */
export const size = scalar<number>('size')

export function oneOf<const V extends string, const O extends Options<V>>(
  values: readonly V[],
  options: O & { aliases?: Readonly<Record<string, V>> },
): EnumNode<V, IsPresent<O>> {
  const { aliases, ...rest } = options
  const node: EnumShape = { kind: 'enum', values, ...shape(rest), ...(aliases ? { aliases } : {}) }
  return node as EnumNode<V, IsPresent<O>>
}

type ObjectOptions = Doc & { optional?: boolean }
type ObjectPresence<O> = O extends { optional: true } ? false : true

/** An object with a fixed set of keys. Unless `optional`, it is always present after decoding,
 * built from its children's defaults when the file leaves it out. */
export function obj<const O extends ObjectOptions, const F extends Fields>(
  options: O,
  fields: F,
): ObjectNode<F, ObjectPresence<O>> {
  const { optional, ...doc } = options
  const node: ObjectShape = { kind: 'object', fields, doc, required: false, present: !optional }
  return node as ObjectNode<F, ObjectPresence<O>>
}

export function list<const I extends AnyNode, const O extends Options<Infer<I>[]>>(
  item: I,
  options: O,
): ArrayNode<I, IsPresent<O>> {
  const node: ArrayShape = { kind: 'array', item, ...shape(options) }
  return node as ArrayNode<I, IsPresent<O>>
}

export function map<const V extends AnyNode, const O extends Options<Record<string, Infer<V>>>>(
  value: V,
  options: O & { keyDoc: string; keyCase?: KeyCase },
): MapNode<V, IsPresent<O>> {
  const { keyDoc, keyCase, ...rest } = options
  const node: MapShape = {
    kind: 'map',
    value,
    keyDoc,
    keyCase: keyCase ?? 'as-written',
    ...shape(rest),
  }
  return node as MapNode<V, IsPresent<O>>
}

export function freeMap<const O extends Options<FreeMap>>(
  options: O & { known?: Readonly<Record<string, Fields>> },
): FreeMapNode<IsPresent<O>> {
  const { known, ...rest } = options
  const node: FreeMapShape = { kind: 'free-map', ...shape(rest), ...(known ? { known } : {}) }
  return node as FreeMapNode<IsPresent<O>>
}

/** The fixed default of a node, computing machine-dependent ones. */
export function defaultOf(node: AnyNode): unknown {
  const value = node.defaultValue
  return typeof value === 'function' ? (value as () => unknown)() : value
}
