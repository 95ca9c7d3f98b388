"""Difference-in-differences on the HS6 x destination x month panel (the EBRD design, CEPR DP20097).

    y_kdt = b1 * S_k * Post_t + b2 * S_k * T_d * Post_t + a_kd + g_dt + e_kdt

k product (HS6), d destination, t month; S_k = 1 for sanctioned goods, T_d = 1 for transit destinations,
Post_t = 1 from the treatment month (March 2022) on; a_kd product x destination and g_dt destination x
month fixed effects (which absorb S x T, T x Post and every level term). `b2` is the estimate the
design is about: how much more sanctioned goods grew to transit destinations than to the others, over
and above the growth of other goods to the same destination in the same month. `b1` is the change of
sanctioned goods at the other destinations.

Estimation: both sets of fixed effects are partialled out of y and the regressors by alternating
projections (Frisch-Waugh-Lovell; exact at convergence, any unbalanced panel), then OLS on the residuals.
Standard errors are clustered by product with the usual small-sample factor
G/(G-1) * (N-1)/(N-K), K = regressors + destination x month effects (the product x destination effects
are nested in the product clusters and do not count, as in reghdfe). Confidence intervals use the
normal quantile (document the number of clusters: with fewer than ~30 products they are too narrow).

Only numpy: no statsmodels, no scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class DidResult:
    term: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    n_obs: int
    n_clusters: int
    n_dropped: int
    converged: bool

    def as_dict(self) -> dict:
        return self.__dict__.copy()


class DidError(ValueError):
    """The panel cannot identify the estimate (named reason)."""


def _codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    uniq, inverse = np.unique(values, return_inverse=True)
    return inverse, len(uniq)


def _demean(
    matrix: np.ndarray, groups: list[tuple[np.ndarray, int]], tol: float, max_iter: int
) -> tuple[np.ndarray, bool]:
    """Residuals of every column of `matrix` on the dummies of all `groups` (alternating projections)."""
    out = matrix.astype(float, copy=True)
    counts = [np.bincount(g, minlength=n).astype(float) for g, n in groups]
    scale = max(float(np.abs(out).max()), 1.0)
    for _ in range(max_iter):
        change = 0.0
        for (g, n), cnt in zip(groups, counts, strict=True):
            for j in range(out.shape[1]):
                means = np.bincount(g, weights=out[:, j], minlength=n) / cnt
                step = means[g]
                out[:, j] -= step
                change = max(change, float(np.abs(step).max()))
        if change <= tol * scale:
            return out, True
    return out, False


def estimate(
    panel: pl.DataFrame,
    *,
    outcome: str = "log_value",
    product: str = "product_code",
    destination: str = "destination_code",
    period: str = "period_start",
    sanctioned: str = "is_sanctioned",
    transit: str = "is_transit",
    post: str = "is_post",
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> list[DidResult]:
    """Estimate b1 (sanctioned x post) and b2 (sanctioned x transit x post); rows with a null outcome are dropped."""
    missing = [c for c in (outcome, product, destination, period, sanctioned, transit, post) if c not in panel.columns]
    if missing:
        raise DidError(f"panel lacks column(s) {missing}")
    n_all = panel.height
    # a fixed row order: floating-point sums depend on it, and the same panel must give the same digits
    # however the warehouse happened to store it (a nightly build equals a full refresh)
    data = panel.filter(pl.col(outcome).is_not_null() & pl.col(outcome).is_finite()).sort(product, destination, period)
    n_dropped = n_all - data.height
    if data.height == 0:
        raise DidError("no row with a finite outcome")
    y = data[outcome].to_numpy().astype(float)
    s = data[sanctioned].cast(pl.Float64).to_numpy()
    t = data[transit].cast(pl.Float64).to_numpy()
    p = data[post].cast(pl.Float64).to_numpy()
    x = np.column_stack([s * p, s * t * p])
    prod = data[product].cast(pl.String).to_numpy()
    dest = data[destination].cast(pl.String).to_numpy()
    per = data[period].cast(pl.String).to_numpy()
    kd = _codes(np.char.add(np.char.add(prod.astype(str), "|"), dest.astype(str)))
    dt = _codes(np.char.add(np.char.add(dest.astype(str), "|"), per.astype(str)))
    resid, converged = _demean(np.column_stack([y, x]), [kd, dt], tol, max_iter)
    y_r, x_r = resid[:, 0], resid[:, 1:]
    xtx = x_r.T @ x_r
    if np.linalg.matrix_rank(xtx) < x_r.shape[1]:
        raise DidError(
            "the fixed effects absorb a regressor: the panel needs sanctioned and other goods, transit and other "
            "destinations, and months before and after the treatment date"
        )
    xtx_inv = np.linalg.inv(xtx)
    beta = xtx_inv @ (x_r.T @ y_r)
    u = y_r - x_r @ beta
    clusters, n_clusters = _codes(prod.astype(str))
    if n_clusters < 2:
        raise DidError("clustered standard errors need at least two products")
    scores = np.zeros((n_clusters, x_r.shape[1]))
    for j in range(x_r.shape[1]):
        scores[:, j] = np.bincount(clusters, weights=x_r[:, j] * u, minlength=n_clusters)
    meat = scores.T @ scores
    n = len(y)
    k = x_r.shape[1] + dt[1]
    factor = n_clusters / (n_clusters - 1) * (n - 1) / max(n - k, 1)
    vcov = factor * xtx_inv @ meat @ xtx_inv
    se = np.sqrt(np.diag(vcov))
    names = ["sanctioned_x_post", "sanctioned_x_transit_x_post"]
    return [
        DidResult(
            term=name,
            estimate=float(b),
            std_error=float(e),
            ci_low=float(b - Z_95 * e),
            ci_high=float(b + Z_95 * e),
            n_obs=n,
            n_clusters=n_clusters,
            n_dropped=n_dropped,
            converged=converged,
        )
        for name, b, e in zip(names, beta, se, strict=True)
    ]


def results_frame(results: list[DidResult]) -> pl.DataFrame:
    return pl.DataFrame([r.as_dict() for r in results])
