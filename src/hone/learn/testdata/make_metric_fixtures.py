#!/usr/bin/python3
"""Writes metric_fixtures.json: inputs and scikit-learn's values for hone's metrics.

Produced with scikit-learn 1.2.1, NumPy 1.24.2 (Debian 12's python3-sklearn); the script
refuses to run with another scikit-learn so that the fixtures stay reproducible.

    /usr/bin/python3 src/hone/learn/testdata/make_metric_fixtures.py

Every case is generated from a fixed seed. Inputs are rounded to float32 first (hone's metrics
take float32) and written with the shortest decimal that reads back, through a double, as the
same float32; scikit-learn then computes in float64 on exactly those values.

Where hone's definition and a bare scikit-learn call part ways, the fixture follows hone and
says how:
  * log_loss is called with eps=1e-15. scikit-learn 1.2's default eps="auto" clips at
    np.finfo(y_pred.dtype).eps instead: 2.2e-16 for float64 input, 1.2e-7 for float32.
  * log_loss and multiclass roc_auc get labels=range(num_classes), since a class can be absent
    from y_true; without it scikit-learn raises.
  * Multiclass roc_auc with a class absent from y_true: scikit-learn's one-vs-rest raises
    ("Only one class present in y_true"); hone averages the binary AUC of each class present,
    which is what scikit-learn's macro one-vs-rest computes when all classes are present (the
    script checks that equality on those cases).
  * A value scikit-learn leaves undefined (roc_auc of one class, r2 of one row) is null.
"""

import json
import math
import pathlib
import warnings

import numpy as np
import sklearn
from sklearn import metrics

EXPECTED_SKLEARN = "1.2.1"
OUT = pathlib.Path(__file__).with_name("metric_fixtures.json")


def f32_text(x):
    """Shortest decimal that reads back (via double, as nlohmann::json does) as float32 x."""
    x = np.float32(x)
    for text in (str(x), repr(float(x))):
        if np.float32(float(text)) == x:
            return text
    raise AssertionError(x)


def json_value(value):
    if isinstance(value, float):
        return "null" if math.isnan(value) else repr(value)
    return json.dumps(value)


def regression_case(name, y_true, y_pred):
    y_true = np.asarray(y_true, dtype=np.float32).astype(np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float32).astype(np.float64)
    if len(y_true) < 2:
        r2 = float("nan")
    else:
        r2 = metrics.r2_score(y_true, y_pred)
    expected = {
        "r2": r2,
        "rmse": metrics.mean_squared_error(y_true, y_pred, squared=False),
        "mae": metrics.mean_absolute_error(y_true, y_pred),
        "mape": metrics.mean_absolute_percentage_error(y_true, y_pred),
    }
    return name, {"y_true": y_true, "y_pred": y_pred}, expected


def auc_over_present(y_true, proba):
    present = np.unique(y_true)
    if len(present) < 2:
        return float("nan")
    return float(np.mean([metrics.roc_auc_score(y_true == c, proba[:, c]) for c in present]))


def classification_case(name, y_true, proba):
    y_true = np.asarray(y_true, dtype=np.int64)
    proba = np.asarray(proba, dtype=np.float32).astype(np.float64)
    k = proba.shape[1]
    labels = list(range(k))
    y_pred = np.argmax(proba, axis=1)  # the first maximum, as hone's ArgmaxRows
    expected = {"accuracy": metrics.accuracy_score(y_true, y_pred)}
    for average in ("macro", "weighted"):
        p, r, f, _ = metrics.precision_recall_fscore_support(y_true, y_pred, average=average)
        expected.update({f"precision_{average}": p, f"recall_{average}": r, f"f1_{average}": f})
    present = np.unique(y_true)
    if len(present) < 2:
        auc = float("nan")
    elif k == 2:
        auc = metrics.roc_auc_score(y_true, proba[:, 1])
    elif len(present) == k:
        auc = metrics.roc_auc_score(y_true, proba, multi_class="ovr", labels=labels)
        assert math.isclose(auc, auc_over_present(y_true, proba), rel_tol=1e-12), name
    else:
        auc = auc_over_present(y_true, proba)
    expected["roc_auc"] = auc
    expected["log_loss"] = metrics.log_loss(y_true, proba, labels=labels, eps=1e-15)
    if k == 2:
        p, r, f, _ = metrics.precision_recall_fscore_support(y_true, y_pred, average="binary")
        expected.update({"precision": p, "recall": r, "f1": f})
    inputs = {"num_classes": k, "y_true": y_true, "proba": proba.ravel(), "y_pred": y_pred}
    return name, inputs, expected


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def regression_cases():
    rng = np.random.default_rng(11)
    yield regression_case("tiny_hand", [3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    y = rng.normal(10, 3, 40)
    yield regression_case("n40", y, y + rng.normal(0, 1, 40))
    y = rng.gamma(2.0, 50.0, 1500)
    yield regression_case("n1500_skewed", y, y * rng.uniform(0.7, 1.3, 1500))
    # Integer-valued targets and predictions: many ties, several exact hits.
    y = rng.integers(0, 6, 300).astype(float)
    yield regression_case("ties_integers", y, np.clip(y + rng.integers(-1, 2, 300), 0, 5))
    # Zeros in y_true: MAPE divides by DBL_EPSILON there, and a correct zero costs nothing.
    y = rng.normal(0, 2, 60)
    y[::5] = 0.0
    pred = y + rng.normal(0, 0.1, 60)
    pred[::10] = 0.0
    yield regression_case("zeros_in_target", y, pred)
    yield regression_case("constant_perfect", [4.25] * 8, [4.25] * 8)
    yield regression_case("constant_imperfect", [4.25] * 8, [4.25] * 7 + [4.5])
    yield regression_case("constant_tenth", [0.1] * 10, [0.1] * 9 + [0.2])
    y = rng.normal(0, 1, 25)
    yield regression_case("perfect", y, y)
    yield regression_case("worse_than_mean", [1, 2, 3, 4], [4, 3, 2, 1])
    yield regression_case("single_row", [2.0], [3.0])


def binary_cases():
    rng = np.random.default_rng(22)
    n = 400
    y = rng.integers(0, 2, n)
    p1 = 1 / (1 + np.exp(-(1.5 * (2 * y - 1) + rng.normal(0, 1.5, n))))
    yield classification_case("n400", y, np.column_stack([1 - p1, p1]))
    # Scores on a coarse grid: many ties within and across the classes.
    p1 = np.round(np.clip(0.5 + 0.25 * (2 * y - 1) + rng.normal(0, 0.25, n), 0, 1), 1)
    yield classification_case("tied_scores", y, np.column_stack([1 - p1, p1]))
    n = 1000
    y = (rng.uniform(size=n) < 0.04).astype(int)
    p1 = 1 / (1 + np.exp(-(-3 + 2.5 * y + rng.normal(0, 1, n))))
    yield classification_case("imbalanced", y, np.column_stack([1 - p1, p1]))
    y = rng.integers(0, 2, 80)
    p1 = rng.uniform(0, 0.45, 80) + 0.05 * y
    yield check_shape(
        classification_case("class1_never_predicted", y, np.column_stack([1 - p1, p1])),
        unpredicted=[1])
    # Hard 0/1 probabilities, some confidently wrong: log_loss clipping decides the value.
    y = rng.integers(0, 2, 50)
    p1 = np.where(rng.uniform(size=50) < 0.85, y, 1 - y).astype(float)
    p1[:5] = 0.5  # argmax ties go to class 0
    yield classification_case("hard_probabilities", y, np.column_stack([1 - p1, p1]))
    y = np.zeros(30, dtype=int)
    p1 = rng.uniform(0, 1, 30)
    yield classification_case("single_class", y, np.column_stack([1 - p1, p1]))


def multiclass_cases():
    rng = np.random.default_rng(33)

    def proba_for(y, k, signal, noise):
        logits = rng.normal(0, noise, (len(y), k))
        logits[np.arange(len(y)), y] += signal
        return softmax(logits)

    y = rng.integers(0, 3, 300)
    yield classification_case("k3_n300", y, proba_for(y, 3, 1.5, 1.0))
    y = rng.integers(0, 5, 500)
    # Probabilities on a 0.05 grid, renormalised: ties in every one-vs-rest ranking.
    proba = np.round(proba_for(y, 5, 1.0, 1.0) * 20) / 20 + 1e-3
    yield classification_case("k5_tied", y, proba / proba.sum(axis=1, keepdims=True))
    # Class 2 never occurs in y_true (but is predicted now and then).
    y = rng.choice([0, 1, 3], 240)
    yield check_shape(classification_case("k4_class2_absent", y, proba_for(y, 4, 1.0, 1.2)),
                      absent=[2])
    # Class 1 occurs but its probability is never the largest.
    y = rng.integers(0, 3, 150)
    proba = proba_for(y, 3, 1.0, 1.0)
    proba[:, 1] *= 0.02
    yield check_shape(
        classification_case("k3_class1_never_predicted", y, proba / proba.sum(1, keepdims=True)),
        unpredicted=[1])
    # Class 4 absent from y_true and class 0 never predicted, with imbalance.
    y = rng.choice([0, 1, 2, 3], 400, p=[0.05, 0.5, 0.3, 0.15])
    proba = proba_for(y, 5, 2.0, 1.0)
    proba[:, 0] *= 0.005
    yield check_shape(
        classification_case("k5_absent_and_unpredicted", y, proba / proba.sum(1, keepdims=True)),
        absent=[4], unpredicted=[0])
    y = np.full(20, 2)
    yield classification_case("k3_single_class", y, proba_for(y, 3, 1.0, 1.0))


def check_shape(case, absent=(), unpredicted=()):
    """Asserts that a case really exercises the edge its name promises."""
    _, inputs, _ = case
    assert not set(absent) & set(inputs["y_true"].tolist()), case[0]
    assert not set(unpredicted) & set(inputs["y_pred"].tolist()), case[0]
    return case


def render(kind, name, inputs, expected):
    fields = [f'"kind": "{kind}"', f'"name": "{name}"']
    for key, value in inputs.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            fields.append(f'"{key}": [' + ",".join(f32_text(x) for x in value) + "]")
        elif isinstance(value, np.ndarray):
            fields.append(f'"{key}": {json.dumps(value.tolist())}')
        else:
            fields.append(f'"{key}": {json.dumps(value)}')
    body = ", ".join(f'"{k}": {json_value(float(v))}' for k, v in expected.items())
    fields.append('"expected": {' + body + "}")
    return "{" + ", ".join(fields) + "}"


def main():
    if sklearn.__version__ != EXPECTED_SKLEARN:
        raise SystemExit(f"need scikit-learn {EXPECTED_SKLEARN}, found {sklearn.__version__}")
    warnings.simplefilter("ignore")  # zero-division warnings are the point of some cases
    rows = []
    for kind, cases in (("regression", regression_cases()), ("binary", binary_cases()),
                        ("multiclass", multiclass_cases())):
        rows += [render(kind, *case) for case in cases]
    header = f'"generator": "make_metric_fixtures.py", "sklearn": "{sklearn.__version__}"'
    OUT.write_text("{" + header + ', "cases": [\n' + ",\n".join(rows) + "\n]}\n")
    json.loads(OUT.read_text())  # must parse
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(rows)} cases)")


if __name__ == "__main__":
    main()
