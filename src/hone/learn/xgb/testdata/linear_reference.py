#!/usr/bin/python3
"""Reference fits for linear_trainer_test.cc, from scikit-learn (Debian's python3-sklearn).

The data is the deterministic problem ReferenceProblem() builds in the test. hone's linear
trainer minimises  sum(loss) + reg_lambda * n / 2 * |w|^2  over weights of standardised
features (population standard deviation) with an unpenalised intercept, which is
scikit-learn's Ridge(alpha=reg_lambda * n) and LogisticRegression(C=1 / (reg_lambda * n)).
Coefficients are printed on the original feature scale.

Run: /usr/bin/python3 src/hone/learn/xgb/testdata/linear_reference.py
"""
import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge

N = 400
REG_LAMBDA = 1e-3  # the trainer's default


def problem():
    i = np.arange(N, dtype=np.float64)
    x0 = np.sin(0.7 * i) * 3 + 1
    x1 = np.cos(1.3 * i) * 10 + 50
    x2 = np.mod(i * 37, 101) / 101.0 - 0.5
    x3 = x0 * 0.5 + np.sin(2.1 * i)
    X = np.stack([x0, x1, x2, x3], axis=1).astype(np.float32)
    Xd = X.astype(np.float64)
    noise = np.sin(5.3 * i)
    y_reg = (2 + 1.5 * Xd[:, 0] - 0.2 * Xd[:, 1] + 4 * Xd[:, 2] + 0.5 * Xd[:, 3] + 0.3 * noise)
    score = 0.8 * Xd[:, 0] - 0.1 * (Xd[:, 1] - 50) + 3 * Xd[:, 2] + 1.5 * np.sin(3.7 * i + 0.3)
    y_bin = (score > 0).astype(np.float64)
    s1 = Xd[:, 0] - Xd[:, 2] * 2 + np.sin(1.7 * i)
    s2 = -0.5 * Xd[:, 0] + 0.1 * (Xd[:, 1] - 50) + np.sin(4.1 * i)
    y_multi = np.argmax(np.stack([np.zeros(N), s1, s2], axis=1), axis=1)
    return X, y_reg.astype(np.float32), y_bin.astype(np.float32), y_multi


def original_scale(coef, intercept, mean, sd):
    c = coef / sd
    return c, intercept - np.sum(c * mean)


def show(name, values):
    print(f"constexpr double {name}[] = {{" + ", ".join(f"{v:.9g}" for v in values) + "};")


def main():
    X, y_reg, y_bin, y_multi = problem()
    Xd = X.astype(np.float64)
    mean, sd = Xd.mean(axis=0), Xd.std(axis=0)
    Xs = (Xd - mean) / sd
    alpha = REG_LAMBDA * N

    ridge = Ridge(alpha=alpha).fit(Xs, y_reg.astype(np.float64))
    c, b = original_scale(ridge.coef_, ridge.intercept_, mean, sd)
    show("kRidge", [b, *c])

    logit = LogisticRegression(C=1 / alpha, tol=1e-12, max_iter=100000).fit(Xs, y_bin)
    c, b = original_scale(logit.coef_[0], logit.intercept_[0], mean, sd)
    show("kLogistic", [b, *c])

    softmax = LogisticRegression(C=1 / alpha, tol=1e-12, max_iter=100000).fit(Xs, y_multi)
    show("kSoftmaxRows0To2", softmax.predict_proba(Xs[:3]).ravel())


if __name__ == "__main__":
    main()
