// How figures, times and digests are shown.
export function num(v: unknown, digits = 4): string {
  if (v === null || v === undefined || v === '') return '–';
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) return String(v);
  if (Number.isInteger(n) && Math.abs(n) < 1e9) return String(n);
  const a = Math.abs(n);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return n.toExponential(digits - 1);
  return String(Number(n.toPrecision(digits)));
}

export function pct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return `${(v * 100).toFixed(v < 0.01 && v > 0 ? 2 : 1)}%`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local time, to the second: 2026-03-01 14:02:07. */
export function time(ms: number | undefined | null): string {
  if (!ms) return '–';
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

export function duration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || ms < 0) return '–';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function short(digest: string | undefined | null, n = 12): string {
  return digest ? digest.slice(0, n) : '–';
}
