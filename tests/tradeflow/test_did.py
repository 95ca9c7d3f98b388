"""Issue 15: the difference-in-differences estimator recovers an effect planted in a synthetic panel."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from tradeflow import did

# Hand-set parameters of the synthetic panel.
N_PRODUCTS = 60  # the first 20 are "sanctioned"
N_SANCTIONED = 20
DESTINATIONS = {"KAZ": True, "KGZ": True, "ARM": True, "DEU": False, "USA": False, "JPN": False}
MONTHS = [dt.date(2020 + (m // 12), m % 12 + 1, 1) for m in range(36)]  # 2020-01 .. 2022-12
POST_FROM = dt.date(2022, 3, 1)
PLANTED_B2 = 0.40  # sanctioned x transit x post
PLANTED_B1 = -0.90  # sanctioned x post (the fall at the other destinations)


def synthetic_panel(seed: int, b1: float, b2: float, noise: float, shock_sd: float = 0.2) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    fe_kd = rng.normal(10.0, 2.0, size=(N_PRODUCTS, len(DESTINATIONS)))
    fe_dt = rng.normal(0.0, 0.5, size=(len(DESTINATIONS), len(MONTHS)))
    product_shock = rng.normal(0.0, shock_sd, size=N_PRODUCTS)  # correlated within a product: clustering matters
    for k in range(N_PRODUCTS):
        s = k < N_SANCTIONED
        for d, (dest, transit) in enumerate(DESTINATIONS.items()):
            for t, month in enumerate(MONTHS):
                post = month >= POST_FROM
                y = fe_kd[k, d] + fe_dt[d, t] + b1 * (s and post) + b2 * (s and transit and post)
                y += (product_shock[k] * post) + rng.normal(0.0, noise)
                rows.append((f"{k:06d}", dest, month, y, s, transit, post))
    return pl.DataFrame(
        rows,
        schema=[
            "product_code",
            "destination_code",
            "period_start",
            "log_value",
            "is_sanctioned",
            "is_transit",
            "is_post",
        ],
        orient="row",
    )


def by_term(results):
    return {r.term: r for r in results}


def test_noiseless_panel_gives_the_planted_effects_exactly():
    panel = synthetic_panel(seed=1, b1=PLANTED_B1, b2=PLANTED_B2, noise=0.0, shock_sd=0.0)
    res = by_term(did.estimate(panel))
    assert res["sanctioned_x_transit_x_post"].estimate == pytest.approx(PLANTED_B2, abs=1e-8)
    assert res["sanctioned_x_post"].estimate == pytest.approx(PLANTED_B1, abs=1e-8)
    assert res["sanctioned_x_post"].std_error < 1e-8
    assert res["sanctioned_x_post"].converged


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_planted_effect_is_inside_the_95_confidence_interval(seed):
    res = by_term(did.estimate(synthetic_panel(seed=seed, b1=PLANTED_B1, b2=PLANTED_B2, noise=0.3)))
    b2 = res["sanctioned_x_transit_x_post"]
    assert b2.ci_low <= PLANTED_B2 <= b2.ci_high
    # the interval is informative: it excludes zero and is narrower than the effect itself
    assert b2.ci_low > 0
    assert b2.ci_high - b2.ci_low < PLANTED_B2
    b1 = res["sanctioned_x_post"]
    assert b1.ci_low <= PLANTED_B1 <= b1.ci_high
    assert b2.n_obs == N_PRODUCTS * len(DESTINATIONS) * len(MONTHS)
    assert b2.n_clusters == N_PRODUCTS


def test_intervals_cover_the_truth_about_95_percent_of_the_time_and_errors_match_the_spread():
    """40 panels with no effect planted: the 95% intervals cover 0 in 85-100% of them (binomial, 40 draws), and
    the clustered standard error is on average the spread of the estimates across panels (within 25%)."""
    estimates, errors, covered = [], [], []
    for seed in range(100, 140):
        b2 = by_term(did.estimate(synthetic_panel(seed=seed, b1=0.0, b2=0.0, noise=0.3)))["sanctioned_x_transit_x_post"]
        estimates.append(b2.estimate)
        errors.append(b2.std_error)
        covered.append(b2.ci_low <= 0.0 <= b2.ci_high)
    assert 0.85 <= np.mean(covered) <= 1.0
    assert abs(np.mean(estimates)) < 0.02
    assert 0.75 < np.mean(errors) / np.std(estimates, ddof=1) < 1.25


def test_clustered_errors_are_wider_than_the_naive_ones_under_product_shocks():
    """The product shock after March 2022 is common to every destination of a product: clustering by product
    must see it. Compare with the same residual variance spread as if independent (naive OLS formula)."""
    panel = synthetic_panel(seed=31, b1=PLANTED_B1, b2=PLANTED_B2, noise=0.05)
    b1 = by_term(did.estimate(panel))["sanctioned_x_post"]
    # naive: sigma^2 (X'X)^-1 from a model with an i.i.d. error of sd 0.05 is about 0.05 / sqrt(N_treated)
    n_treated = N_SANCTIONED * len(DESTINATIONS) * sum(m >= POST_FROM for m in MONTHS)
    assert b1.std_error > 5 * 0.05 / np.sqrt(n_treated)


def test_dropped_rows_are_counted_and_missing_cells_are_fine():
    panel = synthetic_panel(seed=41, b1=PLANTED_B1, b2=PLANTED_B2, noise=0.3)
    holes = panel.with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("log_value")).alias("log_value")
    )
    b2 = by_term(did.estimate(holes))["sanctioned_x_transit_x_post"]
    assert b2.n_dropped == (panel.height + 6) // 7
    assert b2.ci_low <= PLANTED_B2 <= b2.ci_high


def test_a_panel_without_transit_destinations_is_refused_with_the_reason():
    panel = synthetic_panel(seed=51, b1=PLANTED_B1, b2=PLANTED_B2, noise=0.3).with_columns(
        pl.lit(False).alias("is_transit")
    )
    with pytest.raises(did.DidError, match="absorb a regressor"):
        did.estimate(panel)


def test_the_estimate_does_not_depend_on_the_row_order():
    panel = synthetic_panel(seed=61, b1=PLANTED_B1, b2=PLANTED_B2, noise=0.3)
    shuffled = panel.sample(fraction=1.0, shuffle=True, seed=7)
    assert did.estimate(shuffled) == did.estimate(panel)  # to the last digit
