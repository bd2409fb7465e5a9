#!/usr/bin/python3
"""Deterministic, seeded generators of the example data sets shipped with hone.

Nothing is downloaded: every data set is synthesised from a documented model
with numpy.random.default_rng(seed), so the same command always writes a
byte-identical CSV file (LF line ends, header row, missing cells empty).

Usage (run with Debian's /usr/bin/python3, which has numpy and pandas):

    /usr/bin/python3 examples/make_examples.py                 # all, default sizes
    /usr/bin/python3 examples/make_examples.py churn           # one data set
    /usr/bin/python3 examples/make_examples.py house_prices --rows 100000 \
        --seed 7 --out /tmp/x.csv                              # bigger variant
    /usr/bin/python3 examples/make_examples.py --out-dir /tmp/ex   # all, elsewhere

Without --out a data set NAME is written to <out-dir>/NAME/NAME.csv, where
<out-dir> defaults to the folder holding this script.
"""

import argparse
import os
import sys

import numpy as np
import pandas as pd

DEFAULT_SEED = 42


# --------------------------------------------------------------------------
# helpers


def _mask(rng, n, frac):
    """Boolean mask selecting about frac of n rows at random."""
    return rng.random(n) < frac


def _int_col(values, missing=None):
    """Integer column (nullable so that missing cells print as empty)."""
    col = pd.array(np.asarray(values).round().astype(np.int64), dtype="Int64")
    if missing is not None:
        col[missing] = pd.NA
    return col


def _float_col(values, decimals, missing=None):
    col = np.round(np.asarray(values, dtype=np.float64), decimals)
    if missing is not None:
        col = col.copy()
        col[missing] = np.nan
    return col


def _str_col(values, missing=None):
    col = np.asarray(values, dtype=object).copy()
    if missing is not None:
        col[missing] = None
    return col


def _choice(rng, levels, probs, n):
    probs = np.asarray(probs, dtype=np.float64)
    return np.asarray(levels, dtype=object)[rng.choice(len(levels), size=n, p=probs / probs.sum())]


def _rowwise_choice(rng, levels, prob_matrix):
    """One draw per row from that row's probability vector."""
    p = np.asarray(prob_matrix, dtype=np.float64)
    p = p / p.sum(axis=1, keepdims=True)
    u = rng.random(p.shape[0])[:, None]
    idx = (u > np.cumsum(p, axis=1)).sum(axis=1)
    idx = np.minimum(idx, p.shape[1] - 1)
    return np.asarray(levels, dtype=object)[idx]


def write_csv(df, path):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    # pandas quotes cells containing the separator, quote char or line breaks.
    df.to_csv(path, index=False, na_rep="", lineterminator="\n", encoding="utf-8")


# --------------------------------------------------------------------------
# 1. house_prices: regression, target `price`

# name, share of sales, price multiplier, mean km to centre, mean school rating,
# share of condos
NEIGHBORHOODS = [
    ("Downtown", 0.08, 1.45, 1.2, 5.5, 0.70),
    ("Old Town", 0.07, 1.30, 2.5, 6.5, 0.35),
    ("Riverside", 0.08, 1.35, 4.0, 7.0, 0.30),
    ("Hill, North", 0.06, 1.60, 6.0, 8.8, 0.05),
    ("Harbor View", 0.05, 1.70, 5.0, 8.0, 0.40),
    ("University District", 0.07, 1.10, 3.5, 6.0, 0.45),
    ("Midtown", 0.08, 1.15, 4.5, 5.5, 0.35),
    ("St. Mary's", 0.06, 1.05, 7.0, 6.5, 0.15),
    ("Eastgate", 0.08, 0.90, 9.0, 5.0, 0.15),
    ("Westfield", 0.09, 1.00, 10.0, 6.0, 0.10),
    ("Maple Grove", 0.08, 1.05, 14.0, 7.5, 0.05),
    ("Cedar Park", 0.07, 0.95, 16.0, 6.5, 0.08),
    ("Lakeside", 0.05, 1.25, 18.0, 7.5, 0.05),
    ("Industrial Flats", 0.04, 0.70, 6.5, 3.5, 0.25),
    ("Pine Ridge", 0.04, 0.82, 24.0, 5.5, 0.02),
]

HOUSE_TYPES = ["detached", "semi-detached", "townhouse", "condo"]
HOUSE_TYPE_MULT = {"detached": 1.00, "semi-detached": 0.92, "townhouse": 0.90, "condo": 0.88}
CONDITION_MULT = {"poor": 0.78, "fair": 0.90, "good": 1.00, "excellent": 1.12}
HEATING_MULT = {"gas": 1.00, "electric": 0.97, "oil": 0.94, "heat_pump": 1.04}


def make_house_prices(rows=20000, seed=DEFAULT_SEED):
    rng = np.random.default_rng(seed)
    n = rows

    nb_idx = rng.choice(len(NEIGHBORHOODS), size=n,
                        p=np.array([x[1] for x in NEIGHBORHOODS]) / sum(x[1] for x in NEIGHBORHOODS))
    nb_name = np.array([x[0] for x in NEIGHBORHOODS], dtype=object)[nb_idx]
    nb_mult = np.array([x[2] for x in NEIGHBORHOODS])[nb_idx]
    nb_km = np.array([x[3] for x in NEIGHBORHOODS])[nb_idx]
    nb_school = np.array([x[4] for x in NEIGHBORHOODS])[nb_idx]
    nb_condo = np.array([x[5] for x in NEIGHBORHOODS])[nb_idx]

    # sale date over three years; prices drift upwards ~5 % a year plus a
    # mild spring/summer premium
    day = rng.integers(0, 1095, size=n)
    sale_date = (np.datetime64("2021-01-01") + day.astype("timedelta64[D]")).astype(str)
    sale_year = 2021 + day // 365
    years = day / 365.25
    drift = np.exp(0.05 * years) * (1.0 + 0.02 * np.sin(2 * np.pi * (years - 0.15)))

    # distance: around the neighbourhood's centre, never negative
    dist = nb_km * np.exp(rng.normal(0.0, 0.2, n)) + rng.normal(0.0, 0.3, n)
    dist = np.clip(dist, 0.2, 40.0)

    # house type: condos where the neighbourhood has them
    other = (1.0 - nb_condo)[:, None] * np.array([0.60, 0.22, 0.18])[None, :]
    house_type = _rowwise_choice(rng, HOUSE_TYPES, np.column_stack([other, nb_condo]))
    is_condo = house_type == "condo"

    # living area (sqft): log-normal, smaller for condos and townhouses
    log_mu = np.select([is_condo, house_type == "townhouse", house_type == "semi-detached"],
                       [np.log(950.0), np.log(1500.0), np.log(1650.0)], np.log(2100.0))
    sqft = np.exp(log_mu + rng.normal(0.0, 0.30, n))
    sqft = np.clip(np.round(sqft / 10.0) * 10.0, 350, 9000)

    bedrooms = np.clip(np.round(sqft / 600.0 + rng.normal(0.4, 0.6, n)), 1, 8)
    bathrooms = np.clip(np.round((0.35 + bedrooms * 0.45 + rng.normal(0.0, 0.45, n)) * 2) / 2, 1.0, 6.0)

    # lot size: none for condos (structurally missing), diminishing returns
    lot = np.exp(np.log(np.where(house_type == "detached", 6500.0, 2800.0))
                 + 0.25 * np.log1p(dist) + rng.normal(0.0, 0.45, n))
    lot = np.clip(np.round(lot / 10.0) * 10.0, 600, 200000)

    # year built: central areas older on average
    mean_age = 25.0 + 40.0 * np.exp(-dist / 6.0)
    age_built = np.clip(rng.gamma(2.0, mean_age / 2.0), 0, 125)
    year_built = np.clip(np.round(sale_year - age_built), 1898, sale_year).astype(np.int64)
    age = sale_year - year_built

    # renovation: only for older homes; year_renovated empty when never renovated
    p_renov = np.clip((age - 15) / 60.0, 0.0, 0.55)
    renovated = rng.random(n) < p_renov
    renov_year = year_built + 10 + np.floor(rng.random(n) * np.maximum(age - 10, 1)).astype(np.int64)
    renov_year = np.minimum(renov_year, sale_year)
    since = np.where(renovated, sale_year - renov_year, age)
    eff_age = np.where(renovated, 0.65 * since + 0.35 * age, age)

    garage = np.where(is_condo, rng.choice([0, 1], size=n, p=[0.55, 0.45]),
                      rng.choice([0, 1, 2, 3], size=n, p=[0.15, 0.30, 0.45, 0.10]))

    school = np.clip(np.round(nb_school + rng.normal(0.0, 1.2, n)), 1, 10)

    # condition follows effective age
    cond_score = 2.6 - eff_age / 30.0 + rng.normal(0.0, 0.7, n)
    cond_idx = np.digitize(cond_score, [0.3, 1.3, 2.5])
    condition = np.array(["poor", "fair", "good", "excellent"], dtype=object)[cond_idx]

    heating = _rowwise_choice(
        rng, ["gas", "electric", "oil", "heat_pump"],
        np.column_stack([np.full(n, 0.45),
                         np.where(is_condo, 0.35, 0.20),
                         np.where(age > 50, 0.18, 0.05),
                         np.where(age < 15, 0.35, 0.12)]))

    pool_p = np.where(is_condo, 0.0, np.clip(0.04 + 0.10 * (nb_mult - 0.8) + 0.004 * dist, 0, 0.4))
    has_pool = rng.random(n) < pool_p

    # ---- price model ------------------------------------------------------
    type_mult = np.vectorize(HOUSE_TYPE_MULT.get, otypes=[float])(house_type)
    cond_mult = np.vectorize(CONDITION_MULT.get, otypes=[float])(condition)
    heat_mult = np.vectorize(HEATING_MULT.get, otypes=[float])(heating)
    # size x neighbourhood: pricier areas also pay more per extra sqft
    size_term = 400000.0 * (sqft / 1800.0) ** (0.85 + 0.15 * (nb_mult - 1.0))
    # U-shaped age effect: new-build premium, mid-age dip, period-home premium
    age_mult = (1.0 + 0.10 * np.exp(-eff_age / 6.0)
                - 0.0045 * eff_age + 0.000040 * eff_age ** 2)
    lot_mult = np.where(is_condo, 1.0, (lot / 5000.0) ** 0.15)
    dist_mult = np.exp(-0.012 * (dist - nb_km)) * (1.0 - 0.006 * np.minimum(dist, 30.0))
    school_mult = 1.0 + 0.03 * (school - 5.5)
    bath_mult = 1.0 + 0.04 * (bathrooms - (0.35 + 0.45 * bedrooms))
    garage_mult = 1.0 + 0.035 * np.minimum(garage, 2)
    pool_mult = np.where(has_pool, 1.07, 1.0)

    price = (size_term * nb_mult * type_mult * age_mult * lot_mult * dist_mult * cond_mult
             * heat_mult * school_mult * bath_mult * garage_mult * pool_mult * drift
             * np.exp(rng.normal(0.0, 0.10, n)))
    price = np.round(price, -2)

    # ---- missing cells (random) -------------------------------------------
    df = pd.DataFrame({
        "sale_date": sale_date,
        "neighborhood": _str_col(nb_name, _mask(rng, n, 0.01)),
        "house_type": _str_col(house_type),
        "sqft_living": _int_col(sqft, _mask(rng, n, 0.01)),
        "lot_size_sqft": _int_col(lot, is_condo | _mask(rng, n, 0.02)),
        "bedrooms": _int_col(bedrooms),
        "bathrooms": _float_col(bathrooms, 1, _mask(rng, n, 0.015)),
        "year_built": _int_col(year_built, _mask(rng, n, 0.01)),
        "year_renovated": _int_col(renov_year, ~renovated),
        "garage_spaces": _int_col(garage, _mask(rng, n, 0.02)),
        "distance_to_center_km": _float_col(dist, 2),
        "school_rating": _int_col(school, _mask(rng, n, 0.06)),
        "condition": _str_col(condition, _mask(rng, n, 0.04)),
        "heating": _str_col(heating, _mask(rng, n, 0.03)),
        "has_pool": _str_col(np.where(has_pool, "yes", "no")),
        "price": _int_col(price),
    })
    return df


# --------------------------------------------------------------------------
# 2. churn: binary classification, target `churned` (yes/no, ~25 % yes)


def make_churn(rows=10000, seed=DEFAULT_SEED):
    rng = np.random.default_rng(seed)
    n = rows

    contract = _choice(rng, ["month-to-month", "one_year", "two_year"], [0.55, 0.24, 0.21], n)
    m2m = contract == "month-to-month"
    two = contract == "two_year"

    tenure = np.where(m2m, rng.exponential(16.0, n),
                      np.where(two, 20.0 + rng.random(n) * 55.0, 6.0 + rng.random(n) * 60.0))
    tenure = np.clip(np.floor(tenure), 0, 72)

    age = np.clip(np.round(rng.normal(45.0, 15.0, n)), 18, 90)

    internet = _rowwise_choice(
        rng, ["fiber_optic", "dsl", "none"],
        np.column_stack([np.where(age < 60, 0.48, 0.30), np.full(n, 0.34),
                         np.where(age < 60, 0.18, 0.36)]))
    fiber = internet == "fiber_optic"

    n_addons = rng.binomial(np.where(internet == "none", 1, 5), np.where(two, 0.5, 0.3))
    base = np.select([fiber, internet == "dsl"], [78.0, 48.0], 20.0)
    monthly = base + 6.0 * n_addons + rng.normal(0.0, 5.0, n)
    monthly = np.clip(monthly, 18.0, 130.0)

    total = tenure * monthly * np.exp(rng.normal(0.0, 0.05, n))

    payment = _rowwise_choice(
        rng, ["electronic_check", "mailed_check", "bank_transfer", "credit_card"],
        np.column_stack([np.where(m2m, 0.45, 0.20), np.where(age > 60, 0.35, 0.15),
                         np.full(n, 0.22), np.full(n, 0.22)]))
    paperless = rng.random(n) < np.where(age < 50, 0.70, 0.45)

    support_calls = rng.poisson(np.where(fiber, 1.6, 1.0) + 0.4 * (tenure < 6))
    region = _choice(rng, ["north", "south", "east", "west", "central"],
                     [0.22, 0.24, 0.18, 0.20, 0.16], n)

    # ---- churn model (logistic) -------------------------------------------
    z = (-1.35
         + np.select([m2m, two], [1.0, -1.5], -0.4)
         - 0.75 * np.log1p(tenure / 3.0) + 0.5 * (tenure < 3)
         + 0.85 * fiber - 0.5 * (internet == "none")
         + 0.022 * (monthly - 65.0)
         + 0.60 * (payment == "electronic_check")
         + 0.40 * paperless
         + 0.45 * np.minimum(support_calls, 6) - 0.35 * (n_addons >= 3)
         + 0.35 * (age >= 65) - 0.20 * (age < 25)
         + 0.10 * (region == "south")
         + rng.normal(0.0, 0.5, n))
    z = 1.2 * z - 0.5
    churned = rng.random(n) < 1.0 / (1.0 + np.exp(-z))

    df = pd.DataFrame({
        "tenure_months": _int_col(tenure),
        "contract": _str_col(contract),
        "monthly_charges": _float_col(monthly, 2),
        # empty for brand-new customers (never billed) and a few at random
        "total_charges": _float_col(total, 2, (tenure == 0) | _mask(rng, n, 0.01)),
        "internet_service": _str_col(internet),
        "num_addons": _int_col(n_addons),
        "payment_method": _str_col(payment, _mask(rng, n, 0.02)),
        "paperless_billing": _str_col(np.where(paperless, "yes", "no")),
        "support_calls": _int_col(support_calls, _mask(rng, n, 0.03)),
        "age": _int_col(age, _mask(rng, n, 0.04)),
        "region": _str_col(region, _mask(rng, n, 0.01)),
        "churned": _str_col(np.where(churned, "yes", "no")),
    })
    return df


# --------------------------------------------------------------------------
# 3. segments: multiclass classification, target `segment` (5 text labels)

# label, prior, age (mean, sd), log income mean, household size mean,
# visits/month mean, basket mean, online share (beta a, b),
# city type probs (urban, suburban, rural), channel probs (app, web, store, phone),
# loyalty member prob
SEGMENTS = [
    ("student", 0.16, (22, 3), np.log(16000), 1.6, 9.0, 22.0, (5.0, 2.0),
     (0.70, 0.20, 0.10), (0.55, 0.25, 0.18, 0.02), 0.25),
    ("young_professional", 0.22, (31, 5), np.log(62000), 1.7, 6.0, 58.0, (4.0, 2.5),
     (0.65, 0.28, 0.07), (0.45, 0.35, 0.18, 0.02), 0.45),
    ("family", 0.27, (41, 7), np.log(72000), 4.0, 5.0, 135.0, (2.0, 3.0),
     (0.25, 0.55, 0.20), (0.20, 0.30, 0.45, 0.05), 0.70),
    ("affluent", 0.13, (50, 10), np.log(185000), 2.6, 3.5, 170.0, (2.5, 2.5),
     (0.50, 0.40, 0.10), (0.25, 0.35, 0.30, 0.10), 0.55),
    ("retiree", 0.22, (71, 7), np.log(38000), 1.8, 7.5, 48.0, (1.2, 5.0),
     (0.25, 0.40, 0.35), (0.05, 0.15, 0.65, 0.15), 0.60),
]


def make_segments(rows=8000, seed=DEFAULT_SEED):
    rng = np.random.default_rng(seed)
    n = rows
    k = rng.choice(len(SEGMENTS), size=n, p=np.array([s[1] for s in SEGMENTS]))

    def per(i):
        return np.array([s[i] for s in SEGMENTS], dtype=object)[k]

    age_mu = np.array([s[2][0] for s in SEGMENTS], dtype=float)[k]
    age_sd = np.array([s[2][1] for s in SEGMENTS], dtype=float)[k]
    age = np.clip(np.round(rng.normal(age_mu, age_sd * 1.4)), 17, 95)

    log_inc = np.array([s[3] for s in SEGMENTS], dtype=float)[k]
    income = np.exp(log_inc + rng.normal(0.0, 0.55, n) + 0.004 * (age - age_mu))
    income = np.clip(np.round(income, -2), 3000, 2000000)

    hh_mu = np.array([s[4] for s in SEGMENTS], dtype=float)[k]
    household = np.clip(1 + rng.poisson(np.maximum(hh_mu - 1.0, 0.1) * 1.0), 1, 9)
    children = rng.binomial(np.maximum(household - 2, 0), 0.6)
    children = np.where(per(0) == "family", np.maximum(children, (rng.random(n) < 0.75).astype(np.int64)), children)

    visits = rng.negative_binomial(2.5, 2.5 / (2.5 + np.array([s[5] for s in SEGMENTS], dtype=float)[k]))
    basket = np.array([s[6] for s in SEGMENTS], dtype=float)[k] * np.exp(rng.normal(0.0, 0.55, n))
    basket = basket * (1.0 + 0.05 * (household - 2))
    basket = np.clip(basket, 3.0, None)

    a = np.array([s[7][0] for s in SEGMENTS], dtype=float)[k]
    b = np.array([s[7][1] for s in SEGMENTS], dtype=float)[k]
    online = rng.beta(a * 0.7, b * 0.7)

    city = _rowwise_choice(rng, ["urban", "suburban", "rural"],
                           np.array([s[8] for s in SEGMENTS], dtype=float)[k])
    channel = _rowwise_choice(rng, ["app", "web", "store", "phone"],
                              np.array([s[9] for s in SEGMENTS], dtype=float)[k])
    loyalty = rng.random(n) < np.array([s[10] for s in SEGMENTS], dtype=float)[k]
    months = np.clip(np.round(rng.exponential(np.clip((age - 16.0) * 1.2, 6.0, 60.0))), 1, 240)

    df = pd.DataFrame({
        "age": _int_col(age, _mask(rng, n, 0.02)),
        "annual_income": _int_col(income, _mask(rng, n, 0.05)),
        "household_size": _int_col(household),
        "children": _int_col(children, _mask(rng, n, 0.02)),
        "visits_per_month": _int_col(visits),
        "avg_basket_value": _float_col(basket, 2),
        "online_share": _float_col(online, 3, _mask(rng, n, 0.03)),
        "city_type": _str_col(city, _mask(rng, n, 0.02)),
        "preferred_channel": _str_col(channel, _mask(rng, n, 0.02)),
        "loyalty_member": _str_col(np.where(loyalty, "yes", "no")),
        "months_as_customer": _int_col(months),
        "segment": _str_col(per(0)),
    })
    return df


# --------------------------------------------------------------------------

GENERATORS = {
    "house_prices": (make_house_prices, 20000),
    "churn": (make_churn, 10000),
    "segments": (make_segments, 8000),
}


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(
        description="Write hone's deterministic example data sets as CSV.")
    ap.add_argument("datasets", nargs="*", metavar="DATASET",
                    help="one or more of: %s (default: all)" % ", ".join(GENERATORS))
    ap.add_argument("--rows", type=int, default=None,
                    help="number of rows (default: the data set's own size)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED,
                    help="random seed (default: %d)" % DEFAULT_SEED)
    ap.add_argument("--out", default=None,
                    help="output CSV path (only with a single data set)")
    ap.add_argument("--out-dir", default=here,
                    help="folder receiving NAME/NAME.csv (default: %(default)s)")
    args = ap.parse_args(argv)

    names = args.datasets or list(GENERATORS)
    unknown = [x for x in names if x not in GENERATORS]
    if unknown:
        ap.error("unknown data set(s): %s (choose from %s)"
                 % (", ".join(unknown), ", ".join(GENERATORS)))
    if args.out is not None and len(names) != 1:
        ap.error("--out needs exactly one data set")
    if args.rows is not None and args.rows < 1:
        ap.error("--rows must be positive")

    for name in names:
        fn, default_rows = GENERATORS[name]
        rows = args.rows if args.rows is not None else default_rows
        df = fn(rows=rows, seed=args.seed)
        path = args.out or os.path.join(args.out_dir, name, name + ".csv")
        write_csv(df, path)
        print("%s: %d rows x %d columns -> %s" % (name, df.shape[0], df.shape[1], path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
