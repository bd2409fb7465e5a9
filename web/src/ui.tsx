// Pieces every page uses: loading a value, showing an error as the server put it, asking for
// confirmation.
import { ComponentChildren, createContext } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import type { Whoami } from './types';

export const Identity = createContext<Whoami | null>(null);

const kRoles = ['viewer', 'trainer', 'deployer', 'admin'];
export function mayAct(who: Whoami | null, needed: Whoami['role']): boolean {
  return !!who && kRoles.indexOf(who.role) >= kRoles.indexOf(needed);
}

export interface Async<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when a dependency changes; the newest call wins. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error) => mine === seq.current && setState({ error, loading: false }),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function ErrorBox(props: { error: unknown }) {
  if (!props.error) return null;
  const e = props.error;
  const status = e instanceof ApiError ? e.status : 0;
  return (
    <div class="error" role="alert" data-testid="error">
      {status === 403 ? <strong>Not allowed: </strong> : status ? <strong>HTTP {status}: </strong> : null}
      {messageOf(e)}
    </div>
  );
}

export function Loading(props: { when: boolean }) {
  return props.when ? <div class="loading">loading…</div> : null;
}

export interface ConfirmRequest {
  title: string;
  body: ComponentChildren;
  confirm: string;
  danger?: boolean;
  run: () => Promise<unknown>;
  done?: () => void;
}

/** A modal that runs the action only on "confirm", and shows the server's refusal verbatim. */
export function ConfirmDialog(props: { request: ConfirmRequest | null; close: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setBusy(false);
    setError(null);
  }, [props.request]);
  const r = props.request;
  if (!r) return null;
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      await r.run();
      props.close();
      r.done?.();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <div class="modal-backdrop">
      <div class="modal" role="dialog" aria-modal="true" aria-label={r.title} data-testid="confirm-dialog">
        <h3>{r.title}</h3>
        <div class="modal-body">{r.body}</div>
        <ErrorBox error={error} />
        <div class="modal-buttons">
          <button onClick={props.close} disabled={busy} data-testid="confirm-cancel">
            Cancel
          </button>
          <button
            class={r.danger ? 'danger' : 'primary'}
            onClick={go}
            disabled={busy}
            data-testid="confirm-ok"
          >
            {busy ? 'working…' : r.confirm}
          </button>
        </div>
      </div>
    </div>
  );
}
