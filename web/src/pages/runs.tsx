// Runs: MLflow's runs/search on experiment "0" (the runs hone made), paged, sorted and filtered
// by the server; data digest and code commit are tags the server derives from hone's run record
// (hone.data_digest, mlflow.source.git.commit, hone.code_dirty), so one request fills the table.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { mlflow } from '../api';
import { duration, num, short, time } from '../format';
import { href, navigate, Route } from '../route';
import type { MlflowRun } from '../types';
import { ErrorBox, Loading, useAsync } from '../ui';

const kPageSize = 50;
const kPreferredMetrics = ['r2', 'rmse', 'accuracy', 'roc_auc', 'auc', 'f1', 'logloss', 'mae', 'loss'];

interface SearchResult {
  runs?: MlflowRun[];
  next_page_token?: string;
}

export function tagOf(run: MlflowRun, key: string): string | undefined {
  return run.data.tags?.find((t) => t.key === key)?.value;
}

export function modelOf(run: MlflowRun): string {
  return tagOf(run, 'registered_model') ?? tagOf(run, 'hone.pipeline') ?? '';
}

function quote(s: string): string {
  return `'${s.replace(/'/g, "\\'")}'`;
}

/** The filter the server gets: the quick fields and the free text, joined by AND. */
export function buildFilter(model: string, status: string, text: string): string {
  const terms: string[] = [];
  if (model) terms.push(`tags.registered_model = ${quote(model)}`);
  if (status) terms.push(`attributes.status = ${quote(status)}`);
  if (text.trim()) terms.push(text.trim());
  return terms.join(' AND ');
}

function SortHeader(props: { label: string; field: string; order: string; setOrder: (o: string) => void }) {
  const [field, dir] = props.order.split(' ');
  const active = field === props.field;
  const next = active && dir === 'DESC' ? 'ASC' : 'DESC';
  return (
    <th>
      <button
        class={'sort' + (active ? ' active' : '')}
        data-testid={`sort-${props.field}`}
        onClick={() => props.setOrder(`${props.field} ${next}`)}
      >
        {props.label}
        {active ? (dir === 'ASC' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
}

export function RunsPage(props: { route: Route }) {
  const q = props.route.query;
  const model = q.get('model') ?? '';
  const status = q.get('status') ?? '';
  const text = q.get('filter') ?? '';
  const order = q.get('order') ?? 'attributes.start_time DESC';
  const [tokens, setTokens] = useState<string[]>(['']); // page tokens: the first page has none
  const [selected, setSelected] = useState<string[]>([]);
  const [draft, setDraft] = useState({ model, status, text });
  useEffect(() => {
    setDraft({ model, status, text });
    setTokens(['']);
  }, [model, status, text, order]);

  const filter = buildFilter(model, status, text);
  const pageToken = tokens[tokens.length - 1];
  const result = useAsync(
    () =>
      mlflow.post<SearchResult>('runs/search', {
        experiment_ids: ['0'],
        filter,
        order_by: [order],
        max_results: kPageSize,
        page_token: pageToken || undefined,
      }),
    [filter, order, pageToken],
  );
  const runs = result.data?.runs ?? [];
  const metricKeys = useMemo(() => {
    const count = new Map<string, number>();
    for (const r of runs) for (const m of r.data.metrics ?? []) count.set(m.key, (count.get(m.key) ?? 0) + 1);
    const keys = [...count.keys()];
    keys.sort((a, b) => {
      const pa = kPreferredMetrics.indexOf(a), pb = kPreferredMetrics.indexOf(b);
      if (pa !== pb) return (pa < 0 ? 99 : pa) - (pb < 0 ? 99 : pb);
      return (count.get(b) ?? 0) - (count.get(a) ?? 0) || a.localeCompare(b);
    });
    return keys.slice(0, 4);
  }, [runs]);

  const go = (changes: Record<string, string>) => {
    const next = { model, status, filter: text, order, ...changes };
    navigate(href(['runs'], next));
  };
  const toggle = (id: string) =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));

  return (
    <section>
      <h2>Runs</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          go({ model: draft.model, status: draft.status, filter: draft.text });
        }}
      >
        <label>
          model
          <input
            data-testid="filter-model"
            value={draft.model}
            onInput={(e) => setDraft({ ...draft, model: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          status
          <select
            data-testid="filter-status"
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: (e.target as HTMLSelectElement).value })}
          >
            <option value="">any</option>
            {['RUNNING', 'FINISHED', 'FAILED', 'KILLED'].map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label class="grow">
          filter
          <input
            data-testid="filter-text"
            placeholder="metrics.r2 > 0.9 AND params.model = 'gbdt'"
            value={draft.text}
            onInput={(e) => setDraft({ ...draft, text: (e.target as HTMLInputElement).value })}
          />
        </label>
        <button type="submit" data-testid="filter-apply">
          Apply
        </button>
      </form>
      <div class="toolbar">
        <button
          class="primary"
          data-testid="compare"
          disabled={selected.length < 2}
          onClick={() => navigate(href(['compare'], { runs: selected.join(',') }))}
        >
          Compare {selected.length || ''} selected
        </button>
        {selected.length > 0 && <button onClick={() => setSelected([])}>Clear selection</button>}
        <span class="spacer" />
        <button disabled={tokens.length < 2} onClick={() => setTokens(tokens.slice(0, -1))} data-testid="page-prev">
          ← Newer
        </button>
        <span class="muted">page {tokens.length}</span>
        <button
          disabled={!result.data?.next_page_token}
          onClick={() => setTokens([...tokens, result.data!.next_page_token!])}
          data-testid="page-next"
        >
          Older →
        </button>
      </div>
      <ErrorBox error={result.error} />
      <Loading when={result.loading} />
      <table class="grid" data-testid="runs-table">
        <thead>
          <tr>
            <th />
            <SortHeader label="run" field="attributes.run_name" order={order} setOrder={(o) => go({ order: o })} />
            <SortHeader label="model" field="tags.registered_model" order={order} setOrder={(o) => go({ order: o })} />
            <SortHeader label="status" field="attributes.status" order={order} setOrder={(o) => go({ order: o })} />
            <SortHeader label="start" field="attributes.start_time" order={order} setOrder={(o) => go({ order: o })} />
            <th>duration</th>
            <SortHeader label="data" field="tags.hone.data_digest" order={order} setOrder={(o) => go({ order: o })} />
            <SortHeader label="commit" field="tags.mlflow.source.git.commit" order={order} setOrder={(o) => go({ order: o })} />
            {metricKeys.map((k) => (
              <SortHeader label={k} field={`metrics.\`${k}\``} order={order} setOrder={(o) => go({ order: o })} />
            ))}
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const id = r.info.run_id;
            const digest = tagOf(r, 'hone.data_digest');
            const commit = tagOf(r, 'mlflow.source.git.commit');
            const metric = (k: string) => r.data.metrics?.find((m) => m.key === k)?.value;
            return (
              <tr class={selected.includes(id) ? 'selected' : ''} data-testid="run-row" data-run={id}>
                <td>
                  <input type="checkbox" checked={selected.includes(id)} onChange={() => toggle(id)} aria-label={`select ${id}`} />
                </td>
                <td>
                  <a href={href(['compare'], { runs: id })} class="mono">
                    {r.info.run_name || id.slice(0, 10)}
                  </a>
                </td>
                <td>{modelOf(r) ? <a href={href(['models', modelOf(r)])}>{modelOf(r)}</a> : '–'}</td>
                <td>
                  <span class={`status ${r.info.status.toLowerCase()}`}>{r.info.status}</span>
                </td>
                <td>{time(r.info.start_time)}</td>
                <td>{r.info.end_time ? duration(r.info.end_time - r.info.start_time) : '–'}</td>
                <td class="mono" title={digest}>{short(digest)}</td>
                <td class="mono" title={commit}>
                  {short(commit, 8) + (tagOf(r, 'hone.code_dirty') === 'true' ? '*' : '')}
                </td>
                {metricKeys.map((k) => (
                  <td class="num">{num(metric(k))}</td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      {!result.loading && runs.length === 0 && !result.error && <p class="muted">No runs match.</p>}
    </section>
  );
}
