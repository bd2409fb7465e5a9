// One version: its lineage (data snapshot → run → version → releases), its gate verdict check
// by check; and a diff of two versions of a model.
import { encodePath, hone } from '../api';
import { num, short, time } from '../format';
import * as release from '../release';
import { href } from '../route';
import type { AliasMove, Model, ModelVersion } from '../types';
import { ErrorBox, Loading, useAsync } from '../ui';
import { verdictOf } from '../verdict';

function getVersion(model: string, v: number): Promise<ModelVersion> {
  return hone.get<ModelVersion>(`/models/${encodePath(model)}/versions/${v}`);
}

async function releasesOf(model: string, version: number): Promise<AliasMove[]> {
  const m = await hone.get<Model>(`/models/${encodePath(model)}`);
  const aliases = [...new Set(['production', 'canary', 'shadow', ...Object.keys(m.aliases)])];
  const moves = (await Promise.all(aliases.map((a) => release.history(model, a).catch(() => [])))).flat();
  return moves.filter((x) => x.to === version || x.from === version).sort((a, b) => a.ts_ms - b.ts_ms);
}

export function VersionPage(props: { model: string; version: number }) {
  const { model, version } = props;
  const v = useAsync(() => getVersion(model, version), [model, version]);
  const verdict = useAsync(() => (v.data ? verdictOf(v.data) : Promise.resolve(null)), [v.data]);
  const moves = useAsync(() => releasesOf(model, version), [model, version]);
  const d = v.data;
  const run = verdict.data && verdict.data.kind === 'verdict' ? verdict.data.run : null;
  return (
    <section>
      <h2>
        <a href={href(['models'])}>Models</a> / <a href={href(['models', model])}>{model}</a> / v{version}
      </h2>
      <ErrorBox error={v.error} />
      <Loading when={v.loading} />
      {d && (
        <>
          <h3>Lineage</h3>
          <div class="lineage" data-testid="lineage">
            <div class="node">
              <div class="card-title">data snapshot</div>
              <div class="mono" title={d.data_digest}>{short(d.data_digest)}</div>
              {run && <div class="muted">{run.tags.data ?? ''}</div>}
            </div>
            <div class="arrow">→</div>
            <div class="node">
              <div class="card-title">run</div>
              {d.run_id ? (
                <a class="mono" href={href(['compare'], { runs: d.run_id })}>
                  {d.run_id.slice(0, 10)}
                </a>
              ) : (
                '–'
              )}
              <div class="muted mono">
                commit {short(d.code_commit, 8)}
                {d.code_dirty ? '*' : ''}
              </div>
            </div>
            <div class="arrow">→</div>
            <div class="node">
              <div class="card-title">version</div>
              <div>
                {model}/{version}
              </div>
              <div class="muted">
                {time(d.created_ms)} by {d.created_by}
                {d.parent ? ` · parent v${d.parent}` : ''}
              </div>
            </div>
            <div class="arrow">→</div>
            <div class="node">
              <div class="card-title">releases</div>
              {(moves.data ?? []).length === 0 && <div class="muted">none</div>}
              {(moves.data ?? []).map((m) => (
                <div class="small" data-testid="release">
                  {time(m.ts_ms)} · {m.alias} {m.to === version ? '←' : '→'} {m.action}
                  {m.to === version ? ` (from ${m.from === null ? '∅' : 'v' + m.from})` : ` (to ${m.to === null ? '∅' : 'v' + m.to})`}
                </div>
              ))}
            </div>
          </div>
          <h3>Gate verdict</h3>
          {verdict.data?.kind === 'none' && <p class="muted">{verdict.data.reason}</p>}
          {verdict.data?.kind === 'verdict' && (
            <>
              <p>
                <span class={`badge ${verdict.data.verdict.blessed ? 'blessed' : 'rejected'}`}>
                  {verdict.data.verdict.blessed ? 'blessed' : 'not blessed'}
                </span>
              </p>
              <table class="grid small" data-testid="checks">
                <thead>
                  <tr>
                    <th />
                    <th>stage</th>
                    <th>check</th>
                    <th>observed</th>
                    <th>threshold</th>
                    <th>reason</th>
                  </tr>
                </thead>
                <tbody>
                  {verdict.data.verdict.checks.map((c) => (
                    <tr class={c.passed ? '' : 'failed'}>
                      <td>{c.passed ? '✓' : '✗'}</td>
                      <td>{c.stage}</td>
                      <td>{c.name}</td>
                      <td>{c.observed}</td>
                      <td>{c.threshold}</td>
                      <td>{c.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          <h3>Metrics</h3>
          <KeyValues values={d.metrics} />
          <h3>Parameters</h3>
          <KeyValues values={d.params} />
        </>
      )}
    </section>
  );
}

function KeyValues(props: { values: Record<string, string | number> }) {
  return (
    <table class="grid small">
      <tbody>
        {Object.entries(props.values).map(([k, v]) => (
          <tr>
            <td>{k}</td>
            <td class="num">{typeof v === 'number' ? num(v) : v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DiffPage(props: { model: string; a: number; b: number }) {
  const { model, a, b } = props;
  const state = useAsync(() => Promise.all([getVersion(model, a), getVersion(model, b)]), [model, a, b]);
  const [va, vb] = state.data ?? [];
  const rows = (get: (v: ModelVersion) => Record<string, string | number>, numeric: boolean) => {
    if (!va || !vb) return null;
    const keys = [...new Set([...Object.keys(get(va)), ...Object.keys(get(vb))])].sort();
    return keys.map((k) => {
      const x = get(va)[k], y = get(vb)[k];
      const delta = numeric && typeof x === 'number' && typeof y === 'number' ? y - x : null;
      return (
        <tr class={String(x) !== String(y) ? 'differs' : ''} data-key={k}>
          <td>{k}</td>
          <td class="num">{x === undefined ? '–' : numeric ? num(x) : x}</td>
          <td class="num">{y === undefined ? '–' : numeric ? num(y) : y}</td>
          {numeric && <td class="num">{delta === null ? '' : (delta > 0 ? '+' : '') + num(delta)}</td>}
        </tr>
      );
    });
  };
  const fields = (v: ModelVersion): Record<string, string> => ({
    run: v.run_id ?? '–',
    'data digest': v.data_digest ?? '–',
    'code commit': (v.code_commit ?? '–') + (v.code_dirty ? ' (dirty)' : ''),
    'config digest': v.config_digest ?? '–',
    'bundle digest': v.bundle_digest || '–',
    parent: v.parent ? `v${v.parent}` : '–',
    created: time(v.created_ms),
    by: v.created_by,
  });
  return (
    <section>
      <h2>
        <a href={href(['models'])}>Models</a> / <a href={href(['models', model])}>{model}</a> / diff v{a} ↔ v{b}
      </h2>
      <ErrorBox error={state.error} />
      <Loading when={state.loading} />
      {va && vb && (
        <>
          <h3>Metrics</h3>
          <table class="grid" data-testid="diff-metrics">
            <thead>
              <tr>
                <th>metric</th>
                <th>v{a}</th>
                <th>v{b}</th>
                <th>Δ</th>
              </tr>
            </thead>
            <tbody>{rows((v) => v.metrics, true)}</tbody>
          </table>
          <h3>Lineage</h3>
          <table class="grid" data-testid="diff-lineage">
            <thead>
              <tr>
                <th />
                <th>v{a}</th>
                <th>v{b}</th>
              </tr>
            </thead>
            <tbody>{rows(fields, false)}</tbody>
          </table>
          <h3>Parameters</h3>
          <table class="grid" data-testid="diff-params">
            <thead>
              <tr>
                <th>param</th>
                <th>v{a}</th>
                <th>v{b}</th>
              </tr>
            </thead>
            <tbody>{rows((v) => v.params, false)}</tbody>
          </table>
        </>
      )}
    </section>
  );
}
