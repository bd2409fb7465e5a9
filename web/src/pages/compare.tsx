// Several runs side by side: parameters and latest metrics (differences marked), and each
// metric logged over more than one step as a chart, one line per run.
import { mlflow } from '../api';
import { LineChart } from '../chart';
import { duration, num, time } from '../format';
import { Route } from '../route';
import type { MlflowMetric, MlflowRun } from '../types';
import { ErrorBox, Loading, useAsync } from '../ui';
import { modelOf } from './runs';

interface Loaded {
  runs: MlflowRun[];
  histories: Record<string, Record<string, MlflowMetric[]>>; // metric → run → history
}

async function history(runId: string, key: string): Promise<MlflowMetric[]> {
  const out: MlflowMetric[] = [];
  let token: string | undefined;
  do {
    const page = await mlflow.get<{ metrics?: MlflowMetric[]; next_page_token?: string }>(
      'metrics/get-history',
      { run_id: runId, metric_key: key, page_token: token },
    );
    out.push(...(page.metrics ?? []));
    token = page.next_page_token;
  } while (token);
  return out;
}

async function load(ids: string[]): Promise<Loaded> {
  const runs = await Promise.all(
    ids.map((id) => mlflow.get<{ run: MlflowRun }>('runs/get', { run_id: id }).then((r) => r.run)),
  );
  const keys = [...new Set(runs.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
  const histories: Loaded['histories'] = {};
  await Promise.all(
    keys.flatMap((key) =>
      runs.map(async (r) => {
        if (!(r.data.metrics ?? []).some((m) => m.key === key)) return;
        (histories[key] ??= {})[r.info.run_id] = await history(r.info.run_id, key);
      }),
    ),
  );
  return { runs, histories };
}

function label(r: MlflowRun): string {
  return r.info.run_name || r.info.run_id.slice(0, 8);
}

function Table(props: { title: string; runs: MlflowRun[]; rows: [string, string[]][]; testid: string }) {
  return (
    <table class="grid compare" data-testid={props.testid}>
      <thead>
        <tr>
          <th>{props.title}</th>
          {props.runs.map((r) => (
            <th class="mono">{label(r)}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map(([key, values]) => {
          const differs = new Set(values).size > 1;
          return (
            <tr class={differs ? 'differs' : ''} data-key={key}>
              <td>{key}</td>
              {values.map((v) => (
                <td class="num">{v}</td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function ComparePage(props: { route: Route }) {
  const ids = (props.route.query.get('runs') ?? '').split(',').filter(Boolean);
  const state = useAsync(() => load(ids), [ids.join(',')]);
  const runs = state.data?.runs ?? [];
  const paramKeys = [...new Set(runs.flatMap((r) => (r.data.params ?? []).map((p) => p.key)))].sort();
  const metricKeys = [...new Set(runs.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
  const param = (r: MlflowRun, k: string) => r.data.params?.find((p) => p.key === k)?.value ?? '–';
  const metric = (r: MlflowRun, k: string) => num(r.data.metrics?.find((m) => m.key === k)?.value);
  const charted = metricKeys.filter((k) =>
    Object.values(state.data?.histories[k] ?? {}).some((h) => new Set(h.map((m) => m.step)).size > 1),
  );
  return (
    <section>
      <h2>Compare {ids.length} run{ids.length === 1 ? '' : 's'}</h2>
      <ErrorBox error={state.error} />
      <Loading when={state.loading} />
      {runs.length > 0 && (
        <>
          <Table
            title="run"
            testid="compare-info"
            runs={runs}
            rows={[
              ['model', runs.map(modelOf)],
              ['status', runs.map((r) => r.info.status)],
              ['user', runs.map((r) => r.info.user_id)],
              ['start', runs.map((r) => time(r.info.start_time))],
              ['duration', runs.map((r) => (r.info.end_time ? duration(r.info.end_time - r.info.start_time) : '–'))],
              ['id', runs.map((r) => r.info.run_id)],
            ]}
          />
          <h3>Metrics</h3>
          <Table title="metric" testid="compare-metrics" runs={runs} rows={metricKeys.map((k) => [k, runs.map((r) => metric(r, k))])} />
          {charted.length > 0 && <h3>Metrics over steps</h3>}
          <div class="charts">
            {charted.map((k) => {
              const hist = state.data!.histories[k];
              const steps = [...new Set(Object.values(hist).flatMap((h) => h.map((m) => m.step)))].sort((a, b) => a - b);
              const series = runs.map((r) => {
                const byStep = new Map((hist[r.info.run_id] ?? []).map((m) => [m.step, Number(m.value)]));
                return { label: label(r), values: steps.map((s) => byStep.get(s) ?? null) };
              });
              return <LineChart title={k} x={steps} series={series} testid={`chart-${k}`} />;
            })}
          </div>
          <h3>Parameters</h3>
          <Table title="param" testid="compare-params" runs={runs} rows={paramKeys.map((k) => [k, runs.map((r) => param(r, k))])} />
        </>
      )}
    </section>
  );
}
