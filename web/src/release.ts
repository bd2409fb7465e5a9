// Alias moves as the CLI makes them (registry::Registry): every one a compare-and-swap on the
// alias's current version through POST /models/M/aliases/A (a rollback through
// POST /models/M/aliases/A/rollback, where the server finds its target as `hone rollback` does),
// so the server's permission checks and protected-alias rule apply, and a move in between fails
// instead of being undone.
import { encodePath, hone } from './api';
import type { AliasMove } from './types';

function aliasPath(model: string, alias: string): string {
  return `/models/${encodePath(model)}/aliases/${encodePath(alias)}`;
}

export function move(
  model: string,
  alias: string,
  body: { to: number | null; expect: number | null; action: string; weight?: number },
): Promise<AliasMove> {
  return hone.post<AliasMove>(aliasPath(model, alias), body);
}

export async function history(model: string, alias: string): Promise<AliasMove[]> {
  const r = await hone.get<{ moves: AliasMove[] }>(`${aliasPath(model, alias)}/history`);
  return r.moves;
}

/** hone promote MODEL VERSION --alias ALIAS --expect CURRENT. */
export function promote(model: string, alias: string, version: number, current: number | null) {
  return move(model, alias, { to: version, expect: current, action: 'promote' });
}

/** A canary with a share of the traffic, as `hone watch` starts one. */
export function startCanary(model: string, version: number, current: number | null, weight: number) {
  return move(model, 'canary', { to: version, expect: current, action: 'canary', weight });
}

/** Stopping a canary removes the alias, expecting the version it points at. */
export function stopCanary(model: string, current: number) {
  return move(model, 'canary', { to: null, expect: current, action: 'alias-delete' });
}

/**
 * hone rollback MODEL --alias ALIAS, on the server (registry::RollbackTarget over the alias's
 * history, then a compare-and-swap): only from `current`, the version the page showed.
 */
export function rollback(model: string, alias: string, current: number) {
  return hone.post<AliasMove>(`${aliasPath(model, alias)}/rollback`, { expect: current });
}
