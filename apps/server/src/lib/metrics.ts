/**
 * In-process counters, named once here so that a later exporter (Prometheus, issue 14) reads one
 * registry instead of hunting for counts across modules. Deliberately tiny: monotonic counters
 * only, no labels (a label taken from a request would let a client grow the registry without
 * bound). One registry per process, as Prometheus client libraries keep: counts are per instance.
 */
export class Counter {
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(by = 1): void {
    if (!Number.isSafeInteger(by) || by < 0) throw new RangeError(`${this.name}: bad increment`);
    this.count += by;
  }

  get value(): number {
    return this.count;
  }
}

export const metrics = {
  /** CSP violation reports received (each report in a batch counts once). */
  cspReports: new Counter('csp_reports_total', 'CSP violation reports received from browsers'),
  /** API requests refused by the resource isolation policy (plugins/fetch-metadata.ts). */
  crossSiteRefusals: new Counter(
    'cross_site_requests_refused_total',
    'API requests refused because Fetch Metadata showed a cross-site origin',
  ),
} as const;

export type MetricName = keyof typeof metrics;

/** Every counter's current value, by name: what an exporter or an admin read would show. */
export function metricsSnapshot(): Record<MetricName, number> {
  return Object.fromEntries(
    Object.entries(metrics).map(([name, counter]) => [name, counter.value]),
  ) as Record<MetricName, number>;
}
