/**
 * @module
 * A minimal Prometheus registry: counters, gauges, histograms and summaries (sum and count, like
 * client_golang's default summary) rendered in the text exposition format. Enough for zot's
 * metric set without pulling a client library into the binary.
 */

export type Labels = Record<string, string>

interface Family {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary'
  render(): string[]
}

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels)
  if (extra) pairs.push(extra)
  if (pairs.length === 0) return ''
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`
}

/** Values keyed by their label set (label order is fixed by the metric's label names). */
class Series<V> {
  private readonly values = new Map<string, { labels: Labels; value: V }>()
  constructor(
    private readonly labelNames: readonly string[],
    private readonly initial: () => V,
  ) {}

  get(labels: Labels): V {
    const key = this.labelNames.map((name) => labels[name] ?? '').join('\u0000')
    let entry = this.values.get(key)
    if (!entry) {
      const ordered: Labels = {}
      for (const name of this.labelNames) ordered[name] = labels[name] ?? ''
      entry = { labels: ordered, value: this.initial() }
      this.values.set(key, entry)
    }
    return entry.value
  }

  entries(): { labels: Labels; value: V }[] {
    return [...this.values.values()]
  }
}

export class Counter implements Family {
  readonly type = 'counter'
  private readonly series: Series<{ n: number }>
  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[] = [],
  ) {
    this.series = new Series(labelNames, () => ({ n: 0 }))
  }
  inc(labels: Labels = {}, by = 1): void {
    this.series.get(labels).n += by
  }
  render(): string[] {
    return this.series.entries().map(({ labels, value }) => `${this.name}${labelText(labels)} ${value.n}`)
  }
}

export class Gauge implements Family {
  readonly type = 'gauge'
  private readonly series: Series<{ n: number }>
  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[] = [],
    private readonly collect?: (gauge: Gauge) => void,
  ) {
    this.series = new Series(labelNames, () => ({ n: 0 }))
  }
  set(labels: Labels, value: number): void {
    this.series.get(labels).n = value
  }
  render(): string[] {
    this.collect?.(this)
    return this.series.entries().map(({ labels, value }) => `${this.name}${labelText(labels)} ${value.n}`)
  }
}

export class Histogram implements Family {
  readonly type = 'histogram'
  private readonly series: Series<{ counts: number[]; sum: number; count: number }>
  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[],
    private readonly buckets: readonly number[],
  ) {
    this.series = new Series(labelNames, () => ({ counts: buckets.map(() => 0), sum: 0, count: 0 }))
  }
  observe(labels: Labels, value: number): void {
    const entry = this.series.get(labels)
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) entry.counts[i]!++
    entry.sum += value
    entry.count++
  }
  render(): string[] {
    return this.series
      .entries()
      .flatMap(({ labels, value }) => [
        ...this.buckets.map(
          (bound, i) => `${this.name}_bucket${labelText(labels, ['le', String(bound)])} ${value.counts[i]}`,
        ),
        `${this.name}_bucket${labelText(labels, ['le', '+Inf'])} ${value.count}`,
        `${this.name}_sum${labelText(labels)} ${value.sum}`,
        `${this.name}_count${labelText(labels)} ${value.count}`,
      ])
  }
}

export class Summary implements Family {
  readonly type = 'summary'
  private readonly series: Series<{ sum: number; count: number }>
  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[] = [],
  ) {
    this.series = new Series(labelNames, () => ({ sum: 0, count: 0 }))
  }
  observe(labels: Labels, value: number): void {
    const entry = this.series.get(labels)
    entry.sum += value
    entry.count++
  }
  render(): string[] {
    return this.series
      .entries()
      .flatMap(({ labels, value }) => [
        `${this.name}_sum${labelText(labels)} ${value.sum}`,
        `${this.name}_count${labelText(labels)} ${value.count}`,
      ])
  }
}

/** Metrics another module keeps in plain numbers (GC, scrub), rendered here. */
export interface ExternalFamily {
  name: string
  type: 'counter' | 'gauge' | 'summary'
  help: string
  samples: { labels: Labels; value: number; suffix?: '_sum' | '_count' }[]
}

export class MetricsRegistry {
  private readonly families: Family[] = []

  register<F extends Family>(family: F): F {
    this.families.push(family)
    return family
  }

  /** Adds families read from `collect` at every scrape. */
  registerCollector(collect: () => ExternalFamily[]): void {
    this.families.push({
      name: '',
      help: '',
      type: 'gauge',
      render: () =>
        collect().flatMap((family) => [
          `# HELP ${family.name} ${family.help}`,
          `# TYPE ${family.name} ${family.type}`,
          ...family.samples.map(
            (sample) => `${family.name}${sample.suffix ?? ''}${labelText(sample.labels)} ${sample.value}`,
          ),
        ]),
    })
  }

  /** The text exposition format (version 0.0.4). */
  render(): string {
    const lines: string[] = []
    for (const family of this.families) {
      // Collectors (no name of their own) write their families' headers themselves.
      if (family.name) lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`)
      lines.push(...family.render())
    }
    return `${lines.join('\n')}\n`
  }
}
