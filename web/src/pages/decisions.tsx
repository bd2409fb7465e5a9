// Decisions: the hash-chained audit log, newest page first (paged by after_seq), filtered on the
// page by action, actor or subject, with the evidence (before and after) of each record.
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

/** Why: the loop's own reason for a watch.* decision, the action and version of an alias move. */
export function whyOf(r: AuditRecord): string {
  let after: Record<string, any>;
  try {
    after = JSON.parse(r.after);
  } catch {
    return '';
  }
  if (!after || typeof after !== 'object') return '';
  if (typeof after.decision?.reason === 'string') return after.decision.reason;
  if (typeof after.reason === 'string') return after.reason;
  return '';
}

async function load(after: number | null) {
  const head = await hone.get<{ head: { seq: number } | null }>('/audit/head');
  const last = head.head?.seq ?? 0;
  const from = after ?? Math.max(0, last - kPageSize);
  const page = await hone.get<{ records: AuditRecord[] }>('/audit', { after_seq: from, limit: kPageSize });
  return { from, last, records: [...page.records].reverse() };
}

export function DecisionsPage(props: { route: Route }) {
  const q = props.route.query;
  const after = q.has('after') ? Number(q.get('after')) : null;
  const filter = q.get('q') ?? '';
  const [open, setOpen] = useState<number | null>(null);
  const state = useAsync(() => load(after), [after]);
  const terms = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const records = (state.data?.records ?? []).filter((r) =>
    terms.every((t) => `${r.action} ${r.actor} ${r.subject}`.toLowerCase().includes(t)),
  );
  const from = state.data?.from ?? 0;
  const last = state.data?.last ?? 0;
  return (
    <section>
      <h2>Decisions</h2>
      <div class="filters">
        <label class="grow">
          filter this page
          <input
            data-testid="audit-filter"
            placeholder="promote, watch., a model, a token name…"
            value={filter}
            onInput={(e) =>
              navigate(href(['decisions'], { q: (e.target as HTMLInputElement).value, after: after === null ? undefined : String(after) }))
            }
          />
        </label>
        <button disabled={from <= 0} onClick={() => navigate(href(['decisions'], { q: filter, after: String(Math.max(0, from - kPageSize)) }))}>
          ← Older
        </button>
        <span class="muted">
          records {from + 1}–{Math.min(from + kPageSize, last)} of {last}
        </span>
        <button disabled={from + kPageSize >= last} onClick={() => navigate(href(['decisions'], { q: filter, after: String(from + kPageSize) }))}>
          Newer →
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
