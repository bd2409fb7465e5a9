// Decisions: the hash-chained audit log, newest first, 100 records a page, searched on the server
// (GET /audit?order=desc&q=…: every term in the action, actor or subject) and paged by
// before_seq, with why and the evidence (before and after) of each record.
import { useState } from 'preact/hooks';
import { hone } from '../api';
import { time } from '../format';
import { href, navigate, Route } from '../route';
import type { AuditRecord } from '../types';
import { ErrorBox, Loading, useAsync } from '../ui';

const kPageSize = 100;

function pretty(text: string): string {
  if (!text) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function parsed(text: string): Record<string, any> | null {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? v : null;
  } catch {
    return null;
  }
}

/** Why: the loop's own reason for a watch.* decision; for an alias move (subject M@A), where the
 * alias went, with its share and whether an admin forced it. */
export function whyOf(r: AuditRecord): string {
  const after = parsed(r.after);
  if (typeof after?.decision?.reason === 'string') return after.decision.reason;
  if (typeof after?.reason === 'string') return after.reason;
  if (!r.subject.includes('@')) return '';
  const before = parsed(r.before);
  const at = (j: Record<string, any> | null) => (typeof j?.version === 'number' ? `v${j.version}` : 'none');
  return (
    `${at(before)} → ${after ? at(after) : 'removed'}` +
    (typeof after?.weight === 'number' ? `, share ${after.weight}` : '') +
    (after?.forced ? ', forced by an admin' : '')
  );
}

interface AuditPage {
  records: AuditRecord[];
  next_before_seq: number | null;
  scanned: number;
}

async function load(before: number | null, q: string) {
  const [head, page] = await Promise.all([
    hone.get<{ head: { seq: number } | null }>('/audit/head'),
    hone.get<AuditPage>('/audit', { order: 'desc', limit: kPageSize, q: q || undefined, before_seq: before ?? undefined }),
  ]);
  return { last: head.head?.seq ?? 0, ...page };
}

export function DecisionsPage(props: { route: Route }) {
  const q = props.route.query;
  const before = q.has('before') ? Number(q.get('before')) : null;
  const filter = q.get('q') ?? '';
  const [open, setOpen] = useState<number | null>(null);
  const state = useAsync(() => load(before, filter), [before, filter]);
  const records = state.data?.records ?? [];
  const next = state.data?.next_before_seq ?? null;
  const last = state.data?.last ?? 0;
  const upTo = before !== null ? before - 1 : last;
  return (
    <section>
      <h2>Decisions</h2>
      <div class="filters">
        <label class="grow">
          search the log
          <input
            data-testid="audit-filter"
            placeholder="promote, watch., a model, a token name…"
            value={filter}
            onInput={(e) => navigate(href(['decisions'], { q: (e.target as HTMLInputElement).value }))}
          />
        </label>
        <button data-testid="audit-newest" disabled={before === null} onClick={() => navigate(href(['decisions'], { q: filter }))}>
          ← Newest
        </button>
        <span class="muted" data-testid="audit-range">
          {state.data
            ? `${records.length} ${filter ? 'matching ' : ''}record${records.length === 1 ? '' : 's'} from #${upTo} down to #${next !== null ? next : 1} of ${last}`
            : ''}
        </span>
        <button
          data-testid="audit-older"
          disabled={next === null || next <= 1}
          onClick={() => navigate(href(['decisions'], { q: filter, before: String(next) }))}
        >
          Older →
        </button>
      </div>
      <ErrorBox error={state.error} />
      <Loading when={state.loading} />
      <table class="grid" data-testid="audit-table">
        <thead>
          <tr>
            <th>#</th>
            <th>time</th>
            <th>action</th>
            <th>subject</th>
            <th>actor</th>
            <th>why</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {records.map((r) => [
            <tr data-seq={r.seq} data-action={r.action} data-testid="audit-row">
              <td class="num">{r.seq}</td>
              <td>{time(r.ts_ms)}</td>
              <td>
                <span class={`badge action ${r.action.replace(/\./g, '-')}`}>{r.action}</span>
              </td>
              <td>{r.subject}</td>
              <td>{r.actor}</td>
              <td class="why" data-testid="why">
                {whyOf(r)}
              </td>
              <td>
                <button class="link" onClick={() => setOpen(open === r.seq ? null : r.seq)}>
                  {open === r.seq ? 'hide' : 'evidence'}
                </button>
              </td>
            </tr>,
            open === r.seq && (
              <tr class="evidence">
                <td colSpan={7}>
                  <div class="side-by-side">
                    <div>
                      <div class="card-title">before</div>
                      <pre>{pretty(r.before) || '–'}</pre>
                    </div>
                    <div>
                      <div class="card-title">after</div>
                      <pre data-testid="evidence-after">{pretty(r.after) || '–'}</pre>
                    </div>
                  </div>
                  <div class="muted mono small">hash {r.hash}</div>
                </td>
              </tr>
            ),
          ])}
        </tbody>
      </table>
    </section>
  );
}
