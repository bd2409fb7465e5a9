// Live: what `hone serve` recorded per served version — requests/s, error rate, p50/p99
// latency over time from the monitoring windows; canary and production side by side; drift per
// feature and the live metric from GET /monitor/report (what `hone monitor --json` prints).
import { useMemo } from 'preact/hooks';
import { ApiError, hone } from '../api';
import { LineChart, Series } from '../chart';
import { num, pct } from '../format';
import { href, navigate, Route } from '../route';
import type { ColumnDrift, DriftReport, Model, MonitorReport, MonitorWindow, VersionReport, WindowRecord } from '../types';
import { ErrorBox, Loading, useAsync } from '../ui';

const kPeriods: Record<string, number> = { '15m': 15 * 60e3, '1h': 3600e3, '6h': 6 * 3600e3, '24h': 86400e3, '7d': 7 * 86400e3 };
const kBuckets = 30;
const kDriftBuckets = 8;

interface Bucket {
  requests: number;
  errors: number;
  ms: number;
  latency: number[];
  bounds: number[];
  alias: string;
}

function quantileMs(b: Bucket, q: number): number | null {
  const total = b.latency.reduce((s, c) => s + c, 0);
  if (!total) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < b.latency.length; ++i) {
    seen += b.latency[i];
    if (seen >= rank) return i < b.bounds.length ? b.bounds[i] * 1e3 : null;
  }
  return null;
}

/** Windows added up per version and time bucket (as monitor::WindowRecord::Merge does). */
function aggregate(windows: MonitorWindow[], since: number, until: number) {
  const width = (until - since) / kBuckets;
  const versions = new Map<number, Bucket[]>();
  const totals = new Map<number, Bucket>();
  const empty = (): Bucket => ({ requests: 0, errors: 0, ms: 0, latency: [], bounds: [], alias: '' });
  const add = (into: Bucket, w: MonitorWindow, rec: WindowRecord | null) => {
    into.requests += w.requests;
    into.errors += w.errors;
    into.ms += Math.max(w.end_ms - w.start_ms, 1);
    if (rec) {
      if (rec.alias) into.alias = rec.alias;
      if (into.bounds.length === 0) into.bounds = rec.latency.bounds;
      rec.latency.counts.forEach((c, i) => (into.latency[i] = (into.latency[i] ?? 0) + c));
    }
  };
  for (const w of windows) {
    let rec: WindowRecord | null = null;
    try {
      rec = JSON.parse(w.summary);
    } catch {
      rec = null;
    }
    if (!versions.has(w.version)) versions.set(w.version, Array.from({ length: kBuckets }, empty));
    if (!totals.has(w.version)) totals.set(w.version, empty());
    const i = Math.min(kBuckets - 1, Math.max(0, Math.floor((w.end_ms - since) / width)));
    add(versions.get(w.version)![i], w, rec);
    add(totals.get(w.version)!, w, rec);
  }
  const x = Array.from({ length: kBuckets }, (_, i) => since + (i + 0.5) * width);
  return { x, width, versions, totals };
}

function seriesOf(
  versions: Map<number, Bucket[]>,
  totals: Map<number, Bucket>,
  width: number,
  f: (b: Bucket, width: number) => number | null,
): Series[] {
  return [...versions.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([v, buckets]) => ({
      label: `v${v}${totals.get(v)?.alias ? ` (${totals.get(v)!.alias})` : ''}`,
      values: buckets.map((b) => (b.requests || b.latency.length ? f(b, width) : null)),
    }));
}

async function loadReport(model: string, since: number, until: number) {
  const params = { model, since_ms: since, until_ms: until };
  try {
    const whole = await hone.get<MonitorReport>('/monitor/report', params);
    const step = (until - since) / kDriftBuckets;
    const buckets = await Promise.all(
      Array.from({ length: kDriftBuckets }, (_, i) =>
        hone
          .get<MonitorReport>('/monitor/report', { model, since_ms: Math.round(since + i * step), until_ms: Math.round(since + (i + 1) * step) })
          .then((r) => ({ t: since + (i + 0.5) * step, report: r })),
      ),
    );
    return { whole, buckets, missing: false };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && e.message.includes('no API endpoint')) {
      return { whole: null, buckets: [], missing: true };
    }
    throw e;
  }
}

function driftOf(r: VersionReport): DriftReport | null {
  return r.drift && 'columns' in r.drift ? r.drift : null;
}

export function LivePage(props: { route: Route }) {
  const q = props.route.query;
  const models = useAsync(() => hone.get<{ models: Model[] }>('/models'), []);
  const model = q.get('model') ?? models.data?.models[0]?.name ?? '';
  const period = q.get('period') ?? '1h';
  const until = useMemo(() => Date.now(), [model, period, q.get('t')]);
  const since = until - (kPeriods[period] ?? kPeriods['1h']);
  const windows = useAsync(
    () =>
      model
        ? hone.get<{ windows: MonitorWindow[] }>('/monitor/windows', { model, since_ms: since, until_ms: until })
        : Promise.resolve({ windows: [] }),
    [model, since, until],
  );
  const report = useAsync(() => (model ? loadReport(model, since, until) : Promise.resolve(null)), [model, since, until]);
  const agg = useMemo(() => aggregate(windows.data?.windows ?? [], since, until), [windows.data]);
  const charts = [
    { title: 'requests/s', f: (b: Bucket) => (b.requests * 1000) / Math.max(b.ms, 1) },
    { title: 'error rate', f: (b: Bucket) => (b.requests ? b.errors / b.requests : null) },
    { title: 'p50 latency (ms)', f: (b: Bucket) => quantileMs(b, 0.5) },
    { title: 'p99 latency (ms)', f: (b: Bucket) => quantileMs(b, 0.99) },
  ];
  const go = (changes: Record<string, string>) => navigate(href(['live'], { model, period, ...changes }));
  const served = report.data?.whole?.versions ?? [];
  return (
    <section>
      <h2>Live</h2>
      <div class="filters">
        <label>
          model
          <select data-testid="live-model" value={model} onChange={(e) => go({ model: (e.target as HTMLSelectElement).value })}>
            {(models.data?.models ?? []).map((m) => (
              <option value={m.name}>{m.name}</option>
            ))}
          </select>
        </label>
        <label>
          period
          <select value={period} onChange={(e) => go({ period: (e.target as HTMLSelectElement).value })}>
            {Object.keys(kPeriods).map((p) => (
              <option value={p}>last {p}</option>
            ))}
          </select>
        </label>
        <button onClick={() => go({ t: String(Date.now()) })}>Refresh</button>
      </div>
      <ErrorBox error={models.error || windows.error} />
      <Loading when={windows.loading} />
      <h3>Versions side by side</h3>
      <table class="grid" data-testid="live-versions">
        <thead>
          <tr>
            <th>version</th>
            <th>alias</th>
            <th>requests</th>
            <th>requests/s</th>
            <th>error rate</th>
            <th>p50 ms</th>
            <th>p99 ms</th>
          </tr>
        </thead>
        <tbody>
          {[...agg.totals.entries()]
            .sort((a, b) => b[0] - a[0])
            .map(([v, t]) => (
              <tr data-version={v}>
                <td>
                  <a href={href(['models', model, 'versions', v])}>v{v}</a>
                </td>
                <td>{t.alias ? <span class={`badge alias-${t.alias}`}>{t.alias}</span> : '–'}</td>
                <td class="num">{t.requests}</td>
                <td class="num">{num((t.requests * 1000) / Math.max(t.ms, 1), 3)}</td>
                <td class="num">{pct(t.requests ? t.errors / t.requests : null)}</td>
                <td class="num">{num(quantileMs(t, 0.5), 3)}</td>
                <td class="num">{num(quantileMs(t, 0.99), 3)}</td>
              </tr>
            ))}
        </tbody>
      </table>
      {agg.totals.size === 0 && !windows.loading && <p class="muted">No traffic recorded in this period.</p>}
      <div class="charts">
        {agg.totals.size > 0 &&
          charts.map((c) => (
            <LineChart
              title={c.title}
              time
              x={agg.x}
              series={seriesOf(agg.versions, agg.totals, agg.width, c.f)}
              testid={`live-${c.title.split(' ')[0].replace('/', '')}`}
            />
          ))}
      </div>
      <h3>Drift and live metrics</h3>
      <ErrorBox error={report.error} />
      {report.data?.missing && (
        <p class="muted" data-testid="drift-unavailable">
          This server does not answer GET /api/hone/v1/monitor/report yet: drift per feature and the live metric need
          it.
        </p>
      )}
      {served.length > 0 && <DriftTables report={report.data!.whole!} />}
      {report.data && report.data.buckets.length > 0 && <DriftCharts buckets={report.data.buckets} />}
    </section>
  );
}

function DriftTables(props: { report: MonitorReport }) {
  return (
    <div class="side-by-side" data-testid="drift">
      {props.report.versions.map((r) => {
        const d = driftOf(r);
        return (
          <div class="panel" data-version={r.version}>
            <h4>
              v{r.version} <span class={`badge alias-${r.alias}`}>{r.alias}</span>
              {r.weight !== null && r.weight !== undefined ? ` share ${num(r.weight, 2)}` : ''}
            </h4>
            <div class="muted">
              {r.requests} requests · errors {pct(r.error_rate)} · p50 {num(r.latency_ms.p50, 3)} ms · p99{' '}
              {num(r.latency_ms.p99, 3)} ms
            </div>
            <LiveLine report={r} />
            {r.drift && 'error' in r.drift && <div class="muted">{r.drift.error}</div>}
            {d && (
              <table class="grid small">
                <thead>
                  <tr>
                    <th>feature</th>
                    <th>test</th>
                    <th>statistic</th>
                    <th>p (adj.)</th>
                    <th>PSI</th>
                    <th>status</th>
                  </tr>
                </thead>
                <tbody>
                  {[...d.columns, ...(d.prediction ? [{ ...d.prediction, name: `${d.prediction.name} (prediction)` }] : [])].map(
                    (c: ColumnDrift) => (
                      <tr class={c.drifted ? 'failed' : ''} data-feature={c.name} data-drifted={String(c.drifted)}>
                        <td>{c.name}</td>
                        <td>{c.method}</td>
                        <td class="num">{num(c.statistic, 3)}</td>
                        <td class="num">{num(c.p_adjusted, 3)}</td>
                        <td class={`num psi-${c.psi_level}`}>{num(c.psi, 3)}</td>
                        <td>{c.status}</td>
                      </tr>
                    ),
                  )}
                </tbody>
              </table>
            )}
            {d && (
              <div class="muted small">
                thresholds: p &lt; {d.options.p_value}, distance ≥ {d.options.distance}, PSI warn {d.options.psi_warn} / alert{' '}
                {d.options.psi_alert}
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}

/** The live metrics from feedback beside the offline figures of the same names. */
function LiveLine(props: { report: VersionReport }) {
  const live = props.report.live;
  const names = Object.keys(live?.metrics ?? {});
  return (
    <div class="small" data-testid="live-metrics">
      live, from feedback:{' '}
      {live?.labels
        ? names
            .map((k) => {
              const offline = props.report.offline?.[k];
              return `${k} ${num(live.metrics[k], 3)}${typeof offline === 'number' ? ` (offline ${num(offline, 3)})` : ''}`;
            })
            .join(' · ') + ` over ${live.labels} labels`
        : 'no labelled predictions yet'}
      {live?.unusable ? ` · ${live.unusable} labels unusable` : ''}
    </div>
  );
}

/** Each served version's first live metric over the report's time buckets, as one chart. */
function LiveMetricChart(props: { buckets: { t: number; report: MonitorReport }[]; versions: number[] }) {
  const metric = props.buckets.flatMap((b) => b.report.versions.flatMap((v) => Object.keys(v.live?.metrics ?? {})))[0];
  if (!metric) return null;
  const series = props.versions.map((version) => ({
    label: `v${version}`,
    values: props.buckets.map((b) => {
      const r = b.report.versions.find((v) => v.version === version);
      const value = r?.live?.metrics?.[metric];
      return typeof value === 'number' ? value : null;
    }),
  }));
  return (
    <LineChart title={`live ${metric} from feedback`} time x={props.buckets.map((b) => b.t)} series={series} testid="live-metric-chart" />
  );
}

function DriftCharts(props: { buckets: { t: number; report: MonitorReport }[] }) {
  const versions = [...new Set(props.buckets.flatMap((b) => b.report.versions.map((v) => v.version)))];
  return (
    <div class="charts">
      <LiveMetricChart buckets={props.buckets} versions={versions} />
      {versions.map((version) => {
        const reports = props.buckets.map((b) => b.report.versions.find((v) => v.version === version) ?? null);
        const first = reports.map((r) => (r ? driftOf(r) : null)).find((d) => d);
        if (!first) return null;
        const features = first.columns.map((c) => c.name);
        const series = features.map((f) => ({
          label: f,
          values: reports.map((r) => {
            const d = r ? driftOf(r) : null;
            const psi = d?.columns.find((c) => c.name === f)?.psi;
            return typeof psi === 'number' ? psi : null;
          }),
        }));
        return (
          <LineChart
            title={`v${version}: PSI per feature`}
            time
            x={props.buckets.map((b) => b.t)}
            series={series}
            thresholds={[
              { label: 'warn', value: first.options.psi_warn },
              { label: 'alert', value: first.options.psi_alert },
            ]}
            testid={`drift-chart-${version}`}
          />
        );
      })}
    </div>
  );
}
