// Models: every model with its aliases; a model's versions with metrics, gate verdicts and
// release actions; the history of its aliases as a timeline.
import { useContext, useEffect, useState } from 'preact/hooks';
import { encodePath, hone } from '../api';
import { num, time } from '../format';
import * as release from '../release';
import { href, navigate, Route } from '../route';
import type { AliasMove, Model, ModelVersion } from '../types';
import { ConfirmDialog, ConfirmRequest, ErrorBox, Identity, Loading, mayAct, useAsync } from '../ui';
import { verdictOf, VerdictState } from '../verdict';

const kVersionsPerPage = 20;

export function ModelsPage() {
  const state = useAsync(() => hone.get<{ models: Model[] }>('/models'), []);
  return (
    <section>
      <h2>Models</h2>
      <ErrorBox error={state.error} />
      <Loading when={state.loading} />
      <table class="grid" data-testid="models-table">
        <thead>
          <tr>
            <th>model</th>
            <th>versions</th>
            <th>aliases</th>
            <th>created</th>
          </tr>
        </thead>
        <tbody>
          {(state.data?.models ?? []).map((m) => (
            <tr data-model={m.name}>
              <td>
                <a href={href(['models', m.name])}>{m.name}</a>
              </td>
              <td class="num">{m.latest_version}</td>
              <td>
                <AliasBadges model={m} />
              </td>
              <td>{time(m.created_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function AliasBadges(props: { model: Model }) {
  return (
    <>
      {Object.entries(props.model.aliases).map(([alias, v]) => (
        <span class={`badge alias-${alias}`} data-alias={alias}>
          {alias} → v{v}
          {props.model.alias_weights[alias] !== undefined ? ` (${num(props.model.alias_weights[alias], 2)})` : ''}
        </span>
      ))}
    </>
  );
}

export function VerdictBadge(props: { version: ModelVersion }) {
  const state = useAsync<VerdictState>(() => verdictOf(props.version), [props.version.model, props.version.version]);
  if (state.loading) return <span class="muted">…</span>;
  if (state.error || !state.data) return <span class="muted">?</span>;
  if (state.data.kind === 'none') return <span class="badge none" title={state.data.reason}>no verdict</span>;
  const v = state.data.verdict;
  const gates = v.checks.filter((c) => c.stage === 'model');
  const passed = gates.filter((c) => c.passed).length;
  return (
    <span
      class={`badge ${v.blessed ? 'blessed' : 'rejected'}`}
      data-testid="verdict"
      title={v.checks.map((c) => `${c.passed ? '✓' : '✗'} ${c.name}: ${c.reason}`).join('\n')}
    >
      {v.blessed ? 'blessed' : 'not blessed'} · {passed}/{gates.length} gates
    </span>
  );
}

function keyMetrics(versions: ModelVersion[]): string[] {
  const keys = new Set<string>();
  for (const v of versions) for (const k of Object.keys(v.metrics)) keys.add(k);
  const preferred = ['r2', 'rmse', 'accuracy', 'roc_auc', 'f1', 'logloss', 'mae'];
  return [...keys].sort((a, b) => {
    const pa = preferred.indexOf(a), pb = preferred.indexOf(b);
    return (pa < 0 ? 99 : pa) - (pb < 0 ? 99 : pb) || a.localeCompare(b);
  }).slice(0, 4);
}

export function ModelPage(props: { route: Route; name: string }) {
  const who = useContext(Identity);
  const name = props.name;
  const page = Number(props.route.query.get('page') ?? '1');
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [selected, setSelected] = useState<number[]>([]);
  const [tick, setTick] = useState(0);
  const model = useAsync(() => hone.get<Model>(`/models/${encodePath(name)}`), [name, tick]);
  const versions = useAsync(
    () =>
      hone.get<{ versions: ModelVersion[] }>(`/models/${encodePath(name)}/versions`, {
        limit: kVersionsPerPage,
        offset: (page - 1) * kVersionsPerPage,
        newest_first: true,
      }),
    [name, page, tick],
  );
  const aliases = model.data?.aliases ?? {};
  const refresh = () => setTick((t) => t + 1);
  const canDeploy = mayAct(who, 'deployer');
  const list = versions.data?.versions ?? [];
  const metrics = keyMetrics(list);
  const production = aliases.production ?? null;
  const canary = aliases.canary ?? null;

  const askPromote = (version: number, alias: string) =>
    setConfirm({
      title: `Promote ${name}/${version} to ${alias}?`,
      body: (
        <p>
          <b>{alias}</b> moves from {aliases[alias] ? `v${aliases[alias]}` : 'nothing'} to <b>v{version}</b>. Servers
          following the registry switch to it.
        </p>
      ),
      confirm: `Promote to ${alias}`,
      run: () => release.promote(name, alias, version, aliases[alias] ?? null),
      done: refresh,
    });
  const askCanary = (version: number) => {
    let weight = 0.1;
    setConfirm({
      title: `Start a canary of ${name}/${version}?`,
      body: (
        <p>
          <b>canary</b> moves from {canary ? `v${canary}` : 'nothing'} to <b>v{version}</b> with a share of the
          traffic:{' '}
          <input
            type="number"
            min="0.01"
            max="1"
            step="0.01"
            value={weight}
            data-testid="canary-weight"
            onInput={(e) => (weight = Number((e.target as HTMLInputElement).value))}
          />
        </p>
      ),
      confirm: 'Start canary',
      run: () => release.startCanary(name, version, canary, weight),
      done: refresh,
    });
  };
  const askRollback = (alias: string, current: number) =>
    setConfirm({
      title: `Roll back ${name}@${alias}?`,
      body: (
        <p>
          <b>{alias}</b> goes back from <b>v{current}</b> to the version it pointed at before its latest move.
        </p>
      ),
      confirm: 'Roll back',
      danger: true,
      run: () => release.rollback(name, alias, current),
      done: refresh,
    });
  const askStopCanary = (current: number) =>
    setConfirm({
      title: `Stop the canary of ${name}?`,
      body: (
        <p>
          The <b>canary</b> alias (v{current}) is removed; all traffic goes to production.
        </p>
      ),
      confirm: 'Stop canary',
      danger: true,
      run: () => release.stopCanary(name, current),
      done: refresh,
    });

  return (
    <section>
      <h2>
        <a href={href(['models'])}>Models</a> / {name}
      </h2>
      <ErrorBox error={model.error} />
      <div class="cards" data-testid="aliases">
        {Object.entries(aliases).map(([alias, v]) => (
          <div class={`card alias-${alias}`} data-alias={alias}>
            <div class="card-title">{alias}</div>
            <div class="card-value" data-testid={`alias-${alias}`}>
              v{v}
            </div>
            {model.data?.alias_weights[alias] !== undefined && (
              <div class="muted">share {num(model.data.alias_weights[alias], 2)}</div>
            )}
            {canDeploy && (
              <div class="card-actions">
                {alias !== 'canary' && (
                  <button data-testid={`rollback-${alias}`} onClick={() => askRollback(alias, v)}>
                    Roll back
                  </button>
                )}
                {alias === 'canary' && (
                  <>
                    <button data-testid="canary-promote" onClick={() => askPromote(v, 'production')}>
                      Promote to production
                    </button>
                    <button class="danger" data-testid="canary-stop" onClick={() => askStopCanary(v)}>
                      Stop canary
                    </button>
                  </>
                )}
              </div>
            )}
          </div>
        ))}
        {Object.keys(aliases).length === 0 && <p class="muted">No alias points at a version.</p>}
      </div>

      <h3>Versions</h3>
      <div class="toolbar">
        <button
          class="primary"
          data-testid="diff"
          disabled={selected.length !== 2}
          onClick={() => {
            const [a, b] = [...selected].sort((x, y) => x - y);
            navigate(href(['models', name, 'diff', a, b]));
          }}
        >
          Diff 2 selected
        </button>
        <span class="spacer" />
        <button disabled={page <= 1} onClick={() => navigate(href(['models', name], { page: String(page - 1) }))}>
          ← Newer
        </button>
        <span class="muted">page {page}</span>
        <button
          disabled={list.length < kVersionsPerPage}
          onClick={() => navigate(href(['models', name], { page: String(page + 1) }))}
        >
          Older →
        </button>
      </div>
      <ErrorBox error={versions.error} />
      <Loading when={versions.loading} />
      <table class="grid" data-testid="versions-table">
        <thead>
          <tr>
            <th />
            <th>version</th>
            <th>created</th>
            <th>by</th>
            {metrics.map((k) => (
              <th>{k}</th>
            ))}
            <th>gate verdict</th>
            <th>aliases</th>
            {canDeploy && <th>release</th>}
          </tr>
        </thead>
        <tbody>
          {list.map((v) => (
            <tr data-version={v.version} data-testid="version-row">
              <td>
                <input
                  type="checkbox"
                  aria-label={`select version ${v.version}`}
                  checked={selected.includes(v.version)}
                  onChange={() =>
                    setSelected((s) =>
                      s.includes(v.version) ? s.filter((x) => x !== v.version) : [...s, v.version].slice(-2),
                    )
                  }
                />
              </td>
              <td>
                <a href={href(['models', name, 'versions', v.version])}>v{v.version}</a>
              </td>
              <td>{time(v.created_ms)}</td>
              <td>{v.created_by}</td>
              {metrics.map((k) => (
                <td class="num">{num(v.metrics[k])}</td>
              ))}
              <td>
                <VerdictBadge version={v} />
              </td>
              <td>
                {v.aliases.map((a) => (
                  <span class={`badge alias-${a}`}>{a}</span>
                ))}
              </td>
              {canDeploy && (
                <td class="actions">
                  {production !== v.version && (
                    <button data-testid="promote" onClick={() => askPromote(v.version, 'production')}>
                      Promote
                    </button>
                  )}
                  {canary !== v.version && production !== v.version && (
                    <button data-testid="canary" onClick={() => askCanary(v.version)}>
                      Canary
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>

      <h3>Alias history</h3>
      <AliasTimeline model={name} aliases={[...new Set(['production', 'canary', ...Object.keys(aliases)])]} tick={tick} />
      <ConfirmDialog request={confirm} close={() => setConfirm(null)} />
    </section>
  );
}

const kPalette = ['#bfdbfe', '#bbf7d0', '#fde68a', '#fecaca', '#ddd6fe', '#a5f3fc', '#fed7aa'];

export function AliasTimeline(props: { model: string; aliases: string[]; tick?: number }) {
  const state = useAsync(
    async () => {
      const entries = await Promise.all(
        props.aliases.map(async (a) => [a, await release.history(props.model, a).catch(() => [])] as const),
      );
      return entries.filter(([, moves]) => moves.length > 0);
    },
    [props.model, props.aliases.join(','), props.tick],
  );
  const [now, setNow] = useState(Date.now());
  useEffect(() => setNow(Date.now()), [state.data]);
  const all = (state.data ?? []).flatMap(([, m]) => m as AliasMove[]);
  if (state.loading && !state.data) return <Loading when />;
  if (all.length === 0) return <p class="muted">No alias has moved yet.</p>;
  const start = Math.min(...all.map((m) => m.ts_ms));
  const span = Math.max(now - start, 1);
  return (
    <div data-testid="alias-timeline">
      {(state.data ?? []).map(([alias, moves]) => (
        <div class="timeline-row" data-alias={alias}>
          <div class="timeline-label">{alias}</div>
          <div class="timeline-track">
            {moves.map((m, i) => {
              const end = i + 1 < moves.length ? moves[i + 1].ts_ms : now;
              if (m.to === null) return null;
              return (
                <div
                  class="timeline-segment"
                  title={`v${m.to} from ${time(m.ts_ms)} (${m.action} by ${m.actor})`}
                  style={{
                    left: `${((m.ts_ms - start) / span) * 100}%`,
                    width: `max(${((end - m.ts_ms) / span) * 100}%, 2.2em)`,
                    background: kPalette[(m.to - 1) % kPalette.length],
                  }}
                >
                  v{m.to}
                </div>
              );
            })}
          </div>
        </div>
      ))}
      <table class="grid small" data-testid="alias-moves">
        <thead>
          <tr>
            <th>time</th>
            <th>alias</th>
            <th>move</th>
            <th>action</th>
            <th>by</th>
          </tr>
        </thead>
        <tbody>
          {[...all]
            .sort((a, b) => b.ts_ms - a.ts_ms || b.id - a.id)
            .map((m) => (
              <tr data-action={m.action}>
                <td>{time(m.ts_ms)}</td>
                <td>{m.alias}</td>
                <td>
                  {m.from === null ? '∅' : `v${m.from}`} → {m.to === null ? '∅' : `v${m.to}`}
                  {m.weight !== undefined ? ` (share ${num(m.weight, 2)})` : ''}
                </td>
                <td>{m.action}</td>
                <td>{m.actor}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
