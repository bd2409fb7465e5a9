"""The tracking store of bench/mlflow_peer: MLflow's table layout and SqlAlchemyStore's logic.

A stand-in for MLflow's tracking server, written here (MLflow itself cannot be installed on
this machine) after MLflow 2.x's mlflow/store/tracking/sqlalchemy_store.py and
dbmodels/models.py: the same tables, keys and indexes (experiments, runs, metrics,
latest_metrics, params, tags), the same ORM session per call, log_metric as a one-metric
_log_metrics, _update_latest_metrics_if_necessary's read-compare-write of latest_metrics,
log_batch's params / metrics / tags in one session, and search_runs as one SELECT joining a
filtered subquery per metrics./params./tags. comparison and an outer-joined subquery per
order_by key, with selectinload of latest_metrics, params and tags. Not implemented: experiment
tags, datasets and inputs, validation limits, retry loops for concurrent tag writes. What it
answers is enough for the benchmark driver (bench/mlflow_api_bench.py).
"""

import math
import re
import time
import uuid

import sqlalchemy as sa
from sqlalchemy import (BigInteger, Boolean, Column, ForeignKey, Index, Integer,
                        PrimaryKeyConstraint, String, sql)
from sqlalchemy.orm import declarative_base, relationship, selectinload, sessionmaker

Base = declarative_base()


class SqlExperiment(Base):
    __tablename__ = "experiments"
    experiment_id = Column(Integer, autoincrement=True, primary_key=True)
    name = Column(String(256), unique=True, nullable=False)
    artifact_location = Column(String(256))
    lifecycle_stage = Column(String(32), default="active")
    creation_time = Column(BigInteger)
    last_update_time = Column(BigInteger)


class SqlRun(Base):
    __tablename__ = "runs"
    run_uuid = Column(String(32), nullable=False)
    name = Column(String(250))
    source_type = Column(String(20), default="LOCAL")
    source_name = Column(String(500))
    entry_point_name = Column(String(50))
    user_id = Column(String(256), nullable=True)
    status = Column(String(9), default="SCHEDULED")
    start_time = Column(BigInteger)
    end_time = Column(BigInteger, nullable=True, default=None)
    deleted_time = Column(BigInteger, nullable=True, default=None)
    source_version = Column(String(50))
    lifecycle_stage = Column(String(20), default="active")
    artifact_uri = Column(String(200), default=None)
    experiment_id = Column(Integer, ForeignKey("experiments.experiment_id"))
    experiment = relationship("SqlExperiment", backref="runs")
    __table_args__ = (PrimaryKeyConstraint("run_uuid", name="run_pk"),)


class SqlTag(Base):
    __tablename__ = "tags"
    key = Column(String(250))
    value = Column(String(8000), nullable=True)
    run_uuid = Column(String(32), ForeignKey("runs.run_uuid"))
    run = relationship("SqlRun", backref="tags")
    __table_args__ = (PrimaryKeyConstraint("key", "run_uuid", name="tag_pk"),
                      Index("index_tags_run_uuid", "run_uuid"))


class SqlMetric(Base):
    __tablename__ = "metrics"
    key = Column(String(250))
    value = Column(sa.types.Float(precision=53), nullable=False)
    timestamp = Column(BigInteger, default=0)
    step = Column(BigInteger, default=0, nullable=False)
    is_nan = Column(Boolean(create_constraint=True), nullable=False, default=False)
    run_uuid = Column(String(32), ForeignKey("runs.run_uuid"))
    run = relationship("SqlRun", backref="metrics")
    __table_args__ = (
        PrimaryKeyConstraint("key", "timestamp", "step", "run_uuid", "value", "is_nan",
                             name="metric_pk"),
        Index("index_metrics_run_uuid", "run_uuid"),
    )


class SqlLatestMetric(Base):
    __tablename__ = "latest_metrics"
    key = Column(String(250))
    value = Column(sa.types.Float(precision=53), nullable=False)
    timestamp = Column(BigInteger, default=0)
    step = Column(BigInteger, default=0, nullable=False)
    is_nan = Column(Boolean(create_constraint=True), nullable=False, default=False)
    run_uuid = Column(String(32), ForeignKey("runs.run_uuid"))
    run = relationship("SqlRun", backref="latest_metrics")
    __table_args__ = (PrimaryKeyConstraint("key", "run_uuid", name="latest_metric_pk"),
                      Index("index_latest_metrics_run_uuid", "run_uuid"))


class SqlParam(Base):
    __tablename__ = "params"
    key = Column(String(250))
    value = Column(String(8000), nullable=False)
    run_uuid = Column(String(32), ForeignKey("runs.run_uuid"))
    run = relationship("SqlRun", backref="params")
    __table_args__ = (PrimaryKeyConstraint("key", "run_uuid", name="param_pk"),
                      Index("index_params_run_uuid", "run_uuid"))


class StoreError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def now_ms():
    return int(time.time() * 1000)


_ATTRIBUTES = {"run_name": "name", "status": "status", "start_time": "start_time",
               "end_time": "end_time", "run_id": "run_uuid", "user_id": "user_id",
               "lifecycle_stage": "lifecycle_stage"}
_NUMERIC_ATTRIBUTES = {"start_time", "end_time"}
_TOKEN = re.compile(r"\s*(?:(?P<cmp>!=|>=|<=|=|>|<)|(?P<str>'[^']*'|\"[^\"]*\")"
                    r"|(?P<word>[A-Za-z_][\w.]*(?:`[^`]*`)?)|(?P<num>[-+]?[\d.]+(?:[eE][-+]?\d+)?))")


def parse_filter(text):
    """The AND-joined comparisons of a search filter, as SearchUtils.parse_search_filter gives
    them: [{"type", "key", "comparator", "value"}]."""
    tokens, pos = [], 0
    text = text or ""
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise StoreError("INVALID_PARAMETER_VALUE", f"Invalid filter '{text}' at {pos}")
        tokens.append(m)
        pos = m.end()
    out, i = [], 0
    while i < len(tokens):
        if out:
            if (tokens[i].group("word") or "").upper() != "AND":
                raise StoreError("INVALID_PARAMETER_VALUE", f"Invalid filter '{text}'")
            i += 1
        ident = tokens[i].group("word")
        comparator = tokens[i + 1].group("cmp") or (tokens[i + 1].group("word") or "").upper()
        value_token = tokens[i + 2]
        i += 3
        kind, _, key = ident.partition(".")
        if not key:
            kind, key = "attributes", kind
        key = key.strip("`")
        kind = {"metric": "metrics", "param": "params", "tag": "tags",
                "attribute": "attributes"}.get(kind, kind)
        value = value_token.group("str")
        value = value[1:-1] if value else value_token.group("num")
        out.append({"type": kind, "key": key, "comparator": comparator, "value": value})
    return out


def _comparison(comparator, column, value):
    if comparator == "LIKE":
        return column.like(value)
    if comparator == "ILIKE":
        return column.ilike(value)
    return {"=": column.__eq__, "!=": column.__ne__, ">": column.__gt__, ">=": column.__ge__,
            "<": column.__lt__, "<=": column.__le__}[comparator](value)


class TrackingStore:
    def __init__(self, db_uri):
        self.engine = sa.create_engine(db_uri, pool_pre_ping=True)
        Base.metadata.create_all(self.engine)
        self.Session = sessionmaker(bind=self.engine)
        with self.session() as s:
            if s.query(SqlExperiment).filter_by(experiment_id=0).one_or_none() is None:
                t = now_ms()
                s.add(SqlExperiment(experiment_id=0, name="Default", artifact_location="./0",
                                    lifecycle_stage="active", creation_time=t,
                                    last_update_time=t))

    class _Managed:
        """MLflow's ManagedSessionMaker: commit on success, roll back on an error."""

        def __init__(self, maker):
            self.session = maker()

        def __enter__(self):
            return self.session

        def __exit__(self, kind, value, tb):
            try:
                if kind is None:
                    self.session.commit()
                else:
                    self.session.rollback()
            finally:
                self.session.close()

    def session(self):
        return TrackingStore._Managed(self.Session)

    # --- experiments and runs ---

    def create_experiment(self, name):
        with self.session() as s:
            t = now_ms()
            e = SqlExperiment(name=name, lifecycle_stage="active", creation_time=t,
                              last_update_time=t)
            s.add(e)
            try:
                s.flush()
            except sa.exc.IntegrityError:
                raise StoreError("RESOURCE_ALREADY_EXISTS", f"Experiment(name={name}) exists")
            e.artifact_location = f"./{e.experiment_id}"
            return str(e.experiment_id)

    def get_experiment_by_name(self, name):
        with self.session() as s:
            e = s.query(SqlExperiment).filter_by(name=name).one_or_none()
            if e is None:
                raise StoreError("RESOURCE_DOES_NOT_EXIST", f"No experiment '{name}'", 404)
            return {"experiment_id": str(e.experiment_id), "name": e.name,
                    "lifecycle_stage": e.lifecycle_stage}

    def create_run(self, experiment_id, user_id, start_time, run_name, tags):
        with self.session() as s:
            e = s.query(SqlExperiment).filter_by(experiment_id=int(experiment_id)).one_or_none()
            if e is None or e.lifecycle_stage != "active":
                raise StoreError("RESOURCE_DOES_NOT_EXIST",
                                 f"No Experiment with id={experiment_id} exists", 404)
            run_id = uuid.uuid4().hex
            run_name = run_name or tags.get("mlflow.runName") or f"run-{run_id[:8]}"
            tags = dict(tags, **{"mlflow.runName": run_name})
            run = SqlRun(name=run_name, artifact_uri=f"{e.artifact_location}/{run_id}/artifacts",
                         run_uuid=run_id, experiment_id=int(experiment_id), source_type="UNKNOWN",
                         source_name="", entry_point_name="", user_id=user_id, status="RUNNING",
                         start_time=start_time, end_time=None, source_version="",
                         lifecycle_stage="active")
            run.tags = [SqlTag(key=k, value=v) for k, v in tags.items()]
            s.add(run)
            s.flush()
            return _run_json(run)

    def _get_run(self, s, run_id, eager=False):
        q = s.query(SqlRun)
        if eager:
            q = q.options(*_EAGER)
        run = q.filter(SqlRun.run_uuid == run_id).one_or_none()
        if run is None:
            raise StoreError("RESOURCE_DOES_NOT_EXIST", f"Run with id={run_id} not found", 404)
        return run

    def _get_active_run(self, s, run_id):
        run = self._get_run(s, run_id)
        if run.lifecycle_stage != "active":
            raise StoreError("INVALID_STATE", f"The run {run_id} must be in the 'active' state")
        return run

    def get_run(self, run_id):
        with self.session() as s:
            return _run_json(self._get_run(s, run_id, eager=True))

    # --- logging ---

    def log_metric(self, run_id, metric):
        self._log_metrics(run_id, [metric])

    def _log_metrics(self, run_id, metrics):
        if not metrics:
            return
        instances, seen = [], set()
        for key, value, timestamp, step in metrics:
            is_nan = math.isnan(value)
            if is_nan:
                stored = 0
            elif math.isinf(value):
                stored = 1.7976931348623157e308 if value > 0 else -1.7976931348623157e308
            else:
                stored = value
            if (key, value, timestamp, step) not in seen:
                instances.append(SqlMetric(run_uuid=run_id, key=key, value=stored,
                                           timestamp=timestamp, step=step, is_nan=is_nan))
            seen.add((key, value, timestamp, step))
        with self.session() as s:
            self._get_active_run(s, run_id)
            try:
                s.add_all(instances)
                self._update_latest_metrics_if_necessary(instances, s)
                s.commit()
            except sa.exc.IntegrityError:
                # A value logged twice (same key, value, timestamp, step): MLflow keeps the
                # first and logs the others.
                s.rollback()
                existing = {(m.key, m.value, m.timestamp, m.step, m.is_nan)
                            for m in s.query(SqlMetric).filter(
                                SqlMetric.run_uuid == run_id,
                                SqlMetric.key.in_([m.key for m in instances])).all()}
                rest = [SqlMetric(run_uuid=run_id, key=m.key, value=m.value,
                                  timestamp=m.timestamp, step=m.step, is_nan=m.is_nan)
                        for m in instances
                        if (m.key, m.value, m.timestamp, m.step, m.is_nan) not in existing]
                s.add_all(rest)
                self._update_latest_metrics_if_necessary(rest, s)
                s.commit()

    @staticmethod
    def _update_latest_metrics_if_necessary(logged, s):
        if not logged:
            return

        def newer(a, b):
            return (a.step, a.timestamp, a.value) > (b.step, b.timestamp, b.value)

        def overwrite(new, old):
            old.value, old.step, old.timestamp, old.is_nan = (new.value, new.step, new.timestamp,
                                                              new.is_nan)

        latest = {}
        keys = [m.key for m in logged]
        for i in range(0, len(keys), 500):
            batch = keys[i:i + 500]
            present = s.query(SqlLatestMetric.key).filter(
                SqlLatestMetric.run_uuid == logged[0].run_uuid,
                SqlLatestMetric.key.in_(batch)).all()
            if present:
                rows = (s.query(SqlLatestMetric)
                        .filter(SqlLatestMetric.run_uuid == logged[0].run_uuid,
                                SqlLatestMetric.key.in_([r[0] for r in present]))
                        .order_by(SqlLatestMetric.run_uuid, SqlLatestMetric.key)
                        .with_for_update().all())
                latest.update({m.key: m for m in rows})
        fresh = {}
        for m in logged:
            old, new = latest.get(m.key), fresh.get(m.key)
            if not old and not new:
                fresh[m.key] = SqlLatestMetric(run_uuid=m.run_uuid, key=m.key, value=m.value,
                                               timestamp=m.timestamp, step=m.step,
                                               is_nan=m.is_nan)
            elif not old and new:
                if newer(m, new):
                    overwrite(m, new)
            elif newer(m, old):
                overwrite(m, old)
        if fresh:
            s.add_all(fresh.values())

    def _log_params(self, run_id, params):
        if not params:
            return
        with self.session() as s:
            run = self._get_active_run(s, run_id)
            existing = {p.key: p.value for p in run.params}
            new = []
            for key, value in params:
                if key in existing:
                    if value != existing[key]:
                        raise StoreError("INVALID_PARAMETER_VALUE",
                                         f"Changing param values is not allowed ({key})")
                    continue
                new.append(SqlParam(run_uuid=run_id, key=key, value=value))
            s.add_all(new)

    def _set_tags(self, run_id, tags):
        if not tags:
            return
        with self.session() as s:
            self._get_active_run(s, run_id)
            current = {t.key: t for t in s.query(SqlTag).filter(
                SqlTag.run_uuid == run_id, SqlTag.key.in_([k for k, _ in tags])).all()}
            new = {}
            for key, value in tags:
                if key in current:
                    current[key].value = value
                elif key in new:
                    new[key].value = value
                else:
                    new[key] = SqlTag(run_uuid=run_id, key=key, value=value)
            s.add_all(new.values())

    def log_batch(self, run_id, metrics, params, tags):
        with self.session() as s:
            self._get_active_run(s, run_id)
            self._log_params(run_id, params)
            self._log_metrics(run_id, metrics)
            self._set_tags(run_id, tags)

    def bulk_insert_runs(self, experiment_id, runs):
        """Writes finished-looking runs straight into the tables, as create_run and log_batch
        would leave them, in one transaction: for seeding the search benchmark, where 10,000
        runs through the API would take this server many minutes. `runs`: dicts with run_name,
        start_time, user_id, tags, params, metrics ({key: (value, timestamp, step)})."""
        rows = {"runs": [], "tags": [], "params": [], "metrics": [], "latest_metrics": []}
        for r in runs:
            rid = uuid.uuid4().hex
            rows["runs"].append(dict(
                run_uuid=rid, name=r["run_name"], source_type="UNKNOWN", source_name="",
                entry_point_name="", user_id=r["user_id"], status="RUNNING",
                start_time=r["start_time"], end_time=None, deleted_time=None, source_version="",
                lifecycle_stage="active", artifact_uri=f"./{experiment_id}/{rid}/artifacts",
                experiment_id=int(experiment_id)))
            tags = dict(r["tags"], **{"mlflow.runName": r["run_name"]})
            rows["tags"] += [dict(run_uuid=rid, key=k, value=v) for k, v in tags.items()]
            rows["params"] += [dict(run_uuid=rid, key=k, value=v) for k, v in r["params"].items()]
            for k, (value, timestamp, step) in r["metrics"].items():
                m = dict(run_uuid=rid, key=k, value=value, timestamp=timestamp, step=step,
                         is_nan=False)
                rows["metrics"].append(m)
                rows["latest_metrics"].append(dict(m))
        with self.engine.begin() as conn:
            for table in ("runs", "tags", "params", "metrics", "latest_metrics"):
                conn.execute(Base.metadata.tables[table].insert(), rows[table])

    # --- search ---

    def search_runs(self, experiment_ids, filter_string, view, max_results, order_by, offset):
        stages = {"ACTIVE_ONLY": ["active"], "DELETED_ONLY": ["deleted"],
                  "ALL": ["active", "deleted"]}[view]
        with self.session() as s:
            parsed = parse_filter(filter_string)
            cases, order, joins = _order_by_clauses(order_by, s)
            stmt = sa.select(SqlRun, *cases)
            attribute_filters = []
            for f in parsed:
                kind, key, comparator, value = f["type"], f["key"], f["comparator"], f["value"]
                if kind == "attributes":
                    if key == "run_name":
                        stmt = stmt.join(s.query(SqlTag).filter(
                            SqlTag.key == "mlflow.runName",
                            _comparison(comparator, SqlTag.value, value)).subquery())
                        continue
                    if key in _NUMERIC_ATTRIBUTES:
                        value = float(value)
                    attribute_filters.append(
                        _comparison(comparator, getattr(SqlRun, _ATTRIBUTES[key]), value))
                    continue
                entity = {"metrics": SqlLatestMetric, "params": SqlParam, "tags": SqlTag}[kind]
                if entity is SqlLatestMetric:
                    value = float(value)
                stmt = stmt.join(s.query(entity).filter(
                    entity.key == key, _comparison(comparator, entity.value, value)).subquery())
            for j in joins:
                stmt = stmt.outerjoin(j)
            stmt = (stmt.distinct().options(*_EAGER)
                    .filter(SqlRun.experiment_id.in_([int(e) for e in experiment_ids]),
                            SqlRun.lifecycle_stage.in_(stages), *attribute_filters)
                    .order_by(*order).offset(offset).limit(max_results))
            runs = [_run_json(r) for r in s.execute(stmt).scalars(SqlRun).all()]
            token = str(offset + max_results) if len(runs) == max_results else None
            return runs, token


# Backrefs (SqlRun.params, …) exist once the mappers are configured, as MLflow does at import.
sa.orm.configure_mappers()
_EAGER = [selectinload(SqlRun.latest_metrics), selectinload(SqlRun.params),
          selectinload(SqlRun.tags)]


def _order_by_clauses(order_by, s):
    """_get_orderby_clauses: a CASE column sorting missing (and NaN) values last, then the
    value; start_time DESC and run_uuid as the default tie-breakers."""
    clauses, joins, selected = [], [], []
    seen_start_time = False
    for n, term in enumerate(order_by or [], start=1):
        parts = term.split()
        ident = parts[0]
        ascending = len(parts) < 2 or parts[1].upper() != "DESC"
        kind, _, key = ident.partition(".")
        if not key:
            kind, key = "attributes", kind
        key = key.strip("`")
        kind = {"metric": "metrics", "param": "params", "tag": "tags",
                "attribute": "attributes"}.get(kind, kind)
        if kind == "attributes":
            value = getattr(SqlRun, _ATTRIBUTES[key])
            seen_start_time |= key == "start_time"
            case = sql.case((value.is_(None), 1), else_=0).label(f"clause_{n}")
        else:
            entity = {"metrics": SqlLatestMetric, "params": SqlParam, "tags": SqlTag}[kind]
            sub = s.query(entity).filter(entity.key == key).subquery()
            joins.append(sub)
            value = sub.c.value
            if kind == "metrics":
                case = sql.case((sub.c.is_nan == sa.true(), 1), (value.is_(None), 2),
                                else_=0).label(f"clause_{n}")
            else:
                case = sql.case((value.is_(None), 1), else_=0).label(f"clause_{n}")
        clauses.append(case.name)
        selected += [case, value]
        clauses.append(value if ascending else value.desc())
    if not seen_start_time:
        clauses.append(SqlRun.start_time.desc())
    clauses.append(SqlRun.run_uuid)
    return selected, clauses, joins


def _metric_json(m):
    value = float("nan") if m.is_nan else m.value
    return {"key": m.key, "value": value, "timestamp": m.timestamp, "step": m.step}


def _run_json(run):
    info = {"run_id": run.run_uuid, "run_uuid": run.run_uuid, "run_name": run.name,
            "experiment_id": str(run.experiment_id), "user_id": run.user_id,
            "status": run.status, "start_time": run.start_time,
            "artifact_uri": run.artifact_uri, "lifecycle_stage": run.lifecycle_stage}
    if run.end_time is not None:
        info["end_time"] = run.end_time
    return {"info": info,
            "data": {"metrics": [_metric_json(m) for m in run.latest_metrics],
                     "params": [{"key": p.key, "value": p.value} for p in run.params],
                     "tags": [{"key": t.key, "value": t.value} for t in run.tags]}}
