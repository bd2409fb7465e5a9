// A version's gate verdict: its run keeps the verdict.json `hone run` wrote, and the version is
// blessed when that file's "blessed" is true (as the server's protected-alias check reads it).
import { hone } from './api';
import type { HoneRun, ModelVersion, Verdict } from './types';

export type VerdictState = { kind: 'none'; reason: string } | { kind: 'verdict'; verdict: Verdict; run: HoneRun };

const cache = new Map<string, Promise<VerdictState>>();

async function fetchVerdict(runId: string): Promise<VerdictState> {
  const run = await hone.get<HoneRun>(`/runs/${runId}`);
  const artifact = run.artifacts.find((a) => a.name === 'verdict.json');
  if (!artifact) return { kind: 'none', reason: 'the run kept no gate verdict' };
  return { kind: 'verdict', verdict: await hone.artifactJson<Verdict>(artifact.digest), run };
}

export function verdictOf(v: ModelVersion): Promise<VerdictState> {
  if (!v.run_id) return Promise.resolve({ kind: 'none', reason: 'registered without a run' });
  if (!cache.has(v.run_id)) {
    const p = fetchVerdict(v.run_id);
    p.catch(() => cache.delete(v.run_id!));
    cache.set(v.run_id, p);
  }
  return cache.get(v.run_id)!;
}
