// The dashboard's shell: the token prompt, the identity, the navigation, the pages.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getToken, hone, onUnauthorized, setToken } from './api';
import { ComparePage } from './pages/compare';
import { DecisionsPage } from './pages/decisions';
import { LivePage } from './pages/live';
import { ModelPage, ModelsPage } from './pages/models';
import { RunsPage } from './pages/runs';
import { DiffPage, VersionPage } from './pages/version';
import { href, Route, useRoute } from './route';
import './style.css';
import type { Whoami } from './types';
import { ErrorBox, Identity } from './ui';

function TokenPrompt(props: { onToken: (t: string) => void; error?: unknown }) {
  const [value, setValue] = useState('');
  return (
    <div class="modal-backdrop">
      <form
        class="modal"
        data-testid="token-prompt"
        onSubmit={(e) => {
          e.preventDefault();
          props.onToken(value);
        }}
      >
        <h3>Sign in with an API token</h3>
        <p class="muted">
          A token from <code>hone token create</code>. It is kept in this tab only and sent as{' '}
          <code>Authorization: Bearer</code>.
        </p>
        <ErrorBox error={props.error} />
        <input
          type="password"
          autoFocus
          data-testid="token-input"
          placeholder="hone_…"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
        <div class="modal-buttons">
          <button class="primary" type="submit" data-testid="token-submit" disabled={!value.trim()}>
            Sign in
          </button>
        </div>
      </form>
    </div>
  );
}

function Page(props: { route: Route }) {
  const [head, ...rest] = props.route.parts;
  switch (head ?? 'runs') {
    case 'runs':
      return <RunsPage route={props.route} />;
    case 'compare':
      return <ComparePage route={props.route} />;
    case 'models':
      if (rest.length === 0) return <ModelsPage />;
      if (rest[1] === 'versions' && rest[2]) return <VersionPage model={rest[0]} version={Number(rest[2])} />;
      if (rest[1] === 'diff' && rest[3]) return <DiffPage model={rest[0]} a={Number(rest[2])} b={Number(rest[3])} />;
      return <ModelPage route={props.route} name={rest[0]} />;
    case 'live':
      return <LivePage route={props.route} />;
    case 'decisions':
      return <DecisionsPage route={props.route} />;
    default:
      return <p>No page {props.route.parts.join('/')}.</p>;
  }
}

function App() {
  const route = useRoute();
  const [who, setWho] = useState<Whoami | null>(null);
  const [needToken, setNeedToken] = useState(!getToken());
  const [error, setError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => onUnauthorized(() => setNeedToken(true)), []);
  useEffect(() => {
    if (needToken) return;
    hone.get<Whoami>('/whoami').then(
      (w) => {
        setWho(w);
        setError(null);
      },
      (e) => setError(e),
    );
  }, [needToken, generation]);

  const signIn = (token: string) => {
    setToken(token);
    setNeedToken(false);
    setGeneration((g) => g + 1);
  };
  const signOut = () => {
    setToken('');
    setWho(null);
    setNeedToken(true);
  };
  const tab = route.parts[0] ?? 'runs';
  const nav: [string, string][] = [
    ['runs', 'Runs'],
    ['models', 'Models'],
    ['live', 'Live'],
    ['decisions', 'Decisions'],
  ];
  return (
    <Identity.Provider value={who}>
      <header>
        <span class="brand">hone</span>
        <nav>
          {nav.map(([id, label]) => (
            <a href={href([id])} class={tab === id || (id === 'runs' && tab === 'compare') ? 'active' : ''} data-testid={`nav-${id}`}>
              {label}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        {who && (
          <span class="identity" data-testid="identity">
            {who.name} <span class="badge">{who.role}</span>
          </span>
        )}
        {!needToken && (
          <button class="link" onClick={signOut} data-testid="sign-out">
            sign out
          </button>
        )}
      </header>
      <main key={generation}>
        {needToken ? (
          <TokenPrompt onToken={signIn} error={error} />
        ) : (
          <>
            <ErrorBox error={error} />
            {who && <Page route={route} />}
          </>
        )}
      </main>
    </Identity.Provider>
  );
}

render(<App />, document.getElementById('app')!);
