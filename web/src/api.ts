// The one place the dashboard talks to hone: same origin, a bearer token the user pasted once
// (kept in sessionStorage, so it goes when the tab closes), errors turned into ApiError.
const kTokenKey = 'hone.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

// `hone ui` opens the page as /ui/?token=…: the token is taken into sessionStorage and the
// query removed from the address bar (and so from the history).
function takeTokenFromAddress(): void {
  const params = new URLSearchParams(window.location.search);
  const token = params.get('token');
  if (!token) return;
  sessionStorage.setItem(kTokenKey, token.trim());
  params.delete('token');
  const query = params.toString();
  window.history.replaceState(
    null,
    '',
    window.location.pathname + (query ? `?${query}` : '') + window.location.hash,
  );
}
takeTokenFromAddress();

export function getToken(): string {
  return sessionStorage.getItem(kTokenKey) ?? '';
}

export function setToken(token: string): void {
  if (token) sessionStorage.setItem(kTokenKey, token.trim());
  else sessionStorage.removeItem(kTokenKey);
}

// hone's API answers {"error": {"code", "message"}}, MLflow's {"error_code", "message"}.
function errorOf(status: number, body: string): ApiError {
  try {
    const j = JSON.parse(body);
    if (j?.error?.message) return new ApiError(status, j.error.code ?? '', j.error.message);
    if (j?.message) return new ApiError(status, j.error_code ?? '', j.message);
  } catch {
    // not JSON: fall through to the status line
  }
  return new ApiError(status, '', `HTTP ${status}${body ? ': ' + body.slice(0, 200) : ''}`);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    const error = errorOf(response.status, text);
    if (response.status === 401) unauthorizedListeners.forEach((l) => l());
    throw error;
  }
  return (text ? JSON.parse(text) : {}) as T;
}

function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const hone = {
  get: <T>(path: string, params: Record<string, string | number | boolean | undefined> = {}) =>
    request<T>('GET', `/api/hone/v1${path}${query(params)}`),
  post: <T>(path: string, body: unknown) => request<T>('POST', `/api/hone/v1${path}`, body),
  /** A blob (verdict.json, say) parsed as JSON. */
  artifactJson: <T>(digest: string) => request<T>('GET', `/api/hone/v1/artifacts/${digest}`),
};

export const mlflow = {
  get: <T>(path: string, params: Record<string, string | number | undefined> = {}) =>
    request<T>('GET', `/api/2.0/mlflow/${path}${query(params)}`),
  post: <T>(path: string, body: unknown) => request<T>('POST', `/api/2.0/mlflow/${path}`, body),
};

export function encodePath(s: string): string {
  return encodeURIComponent(s);
}
