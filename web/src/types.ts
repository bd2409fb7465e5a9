// The JSON shapes of hone's API (src/hone/store/remote/wire.cc) and of MLflow's.
export interface Whoami {
  name: string;
  role: 'viewer' | 'trainer' | 'deployer' | 'admin';
}

export interface Model {
  name: string;
  created_ms: number;
  latest_version: number;
  aliases: Record<string, number>;
  alias_weights: Record<string, number | string>;
}

export interface ModelVersion {
  model: string;
  version: number;
  bundle_digest: string;
  run_id?: string;
  data_digest?: string;
  code_commit?: string;
  code_dirty?: boolean;
  config_digest?: string;
  params: Record<string, string>;
  metrics: Record<string, number | string>;
  parent?: number;
  description: string;
  created_ms: number;
  created_by: string;
  aliases: string[];
}

export interface AliasMove {
  id: number;
  model: string;
  alias: string;
  from: number | null;
  to: number | null;
  action: string;
  ts_ms: number;
  actor: string;
  weight?: number | string;
}

export interface AuditRecord {
  seq: number;
  ts_ms: number;
  actor: string;
  action: string;
  subject: string;
  before: string;
  after: string;
  prev_hash: string;
  hash: string;
}

export interface HoneRun {
  id: string;
  start: {
    command: string;
    start_ms: number;
    host: string;
    user: string;
    code_commit?: string;
    code_dirty?: boolean;
    config_digest?: string;
    data_digest?: string;
  };
  status: string;
  end_ms?: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: { key: string; value: number | string; step: number; timestamp_ms: number }[];
  artifacts: { name: string; digest: string; bytes: number }[];
}

export interface MonitorWindow {
  model: string;
  version: number;
  start_ms: number;
  end_ms: number;
  server: string;
  requests: number;
  errors: number;
  rows: number;
  summary: string;
}

/** A window's summary (monitor::WindowRecord::ToJson). */
export interface WindowRecord {
  traffic: { rows: number; columns: { name: string; type: string; bins: number[]; missing: number }[] };
  latency: { bounds: number[]; counts: number[] };
  statuses: Record<string, number>;
  alias: string;
}

export interface Verdict {
  blessed: boolean;
  checks: {
    name: string;
    stage: string;
    passed: boolean;
    severity: string;
    observed: string;
    threshold: string;
    reason: string;
  }[];
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface MlflowMetric {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
}

export interface MlflowRun {
  info: {
    run_id: string;
    run_name: string;
    experiment_id: string;
    user_id: string;
    status: string;
    start_time: number;
    end_time?: number;
    lifecycle_stage: string;
  };
  data: { metrics?: MlflowMetric[]; params?: KeyValue[]; tags?: KeyValue[] };
}

/** One column of `hone monitor --json`'s drift report (monitor::ColumnDrift::ToJson). */
export interface ColumnDrift {
  name: string;
  type: string;
  rows: number;
  method: string;
  statistic: number | null;
  p_value: number | null;
  p_adjusted: number | null;
  psi: number | null;
  psi_level: string;
  jensen_shannon: number | null;
  wasserstein: number | null;
  drifted: boolean;
  status: string;
}

export interface DriftReport {
  status: string;
  rows: number;
  columns_compared: number;
  columns_drifted: number;
  options: { p_value: number; distance: number; psi_warn: number; psi_alert: number };
  columns: ColumnDrift[];
  prediction: ColumnDrift | null;
}

/** The metrics of a version's labelled predictions (monitor::LiveMetrics::ToJson). */
export interface LiveMetrics {
  labels: number;
  unusable: number;
  metrics: Record<string, number>;
}

/** One served version in `hone monitor --json` (GET /monitor/report). */
export interface VersionReport {
  version: number;
  alias: string;
  weight: number | null;
  windows: number;
  requests: number;
  errors: number;
  error_rate: number | null;
  latency_ms: { p50: number | null; p99: number | null };
  live: LiveMetrics;
  offline: Record<string, number | string>;
  drift: DriftReport | null | { error: string };
}

export interface MonitorReport {
  model: string;
  since: string;
  versions: VersionReport[];
}
