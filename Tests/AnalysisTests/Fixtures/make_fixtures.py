#!/usr/bin/env python3
"""Reference values for the Analysis tests, computed with numpy/scipy.

Run from the repository root (needs numpy and scipy; never used at run time):

    python3 Tests/AnalysisTests/Fixtures/make_fixtures.py

It rewrites Tests/AnalysisTests/Fixtures/fixtures.json next to this script.
The output is deterministic (fixed numpy seed).

Conventions mirrored here so that scipy computes what Analysis defines:
- Infinite scores: JSON has no infinity, so they are written as the strings
  "inf" / "-inf". Before calling scipy.stats.spearmanr each vector is oriented
  (negated for a descending criterion) and +inf / -inf are replaced by +1e300 /
  -1e300: every finite score here is far below that, and all equal infinities
  still tie, so the average ranks are exactly those Analysis gives to ±inf.
- Constant score vectors (rho undefined in scipy) are not in the random cases;
  the Swift tests check Analysis's rho = 0 convention by hand.
- Wilcoxon: scipy.stats.wilcoxon(method="exact") where it is exact (no ties,
  no zeros); with ties or zeros and n <= 13, scipy's PermutationMethod(), which
  enumerates all 2^n sign flips; with ties and larger n, a brute-force
  enumeration here; above 25, method="asymptotic" with correction=False.
"""

import itertools
import json
import os

import numpy as np
from scipy import stats

rng = np.random.default_rng(20240611)
BIG = 1e300


def encode(value):
    v = float(value)
    if v == np.inf:
        return "inf"
    if v == -np.inf:
        return "-inf"
    return v


def encode_list(values):
    return [encode(v) for v in values]


def oriented_finite(scores, direction):
    s = np.array(scores, dtype=float)
    if direction == "descending":
        s = -s
    s[s == np.inf] = BIG
    s[s == -np.inf] = -BIG
    return s


# --- ranks -------------------------------------------------------------------
rank_cases = []
for n in (1, 7, 40):
    v = np.round(rng.normal(size=n), 1)
    if n > 5:
        v[rng.choice(n, 3, replace=False)] = np.inf
        v[rng.choice(n, 2, replace=False)] = -np.inf
    rank_cases.append({
        "values": encode_list(v),
        "ascending": stats.rankdata(oriented_finite(v, "ascending")).tolist(),
        "descending": stats.rankdata(oriented_finite(v, "descending")).tolist(),
    })

# --- Spearman matrices (several "seeds") -------------------------------------
spearman_cases = []
for seed_index, n in enumerate((30, 64, 200, 12)):
    base = rng.normal(size=n)
    l2 = np.round(np.exp(0.5 * base + 0.3 * rng.normal(size=n)), 1)    # ties
    etheta = np.round(1 / (1 + np.exp(-base - 0.5 * rng.normal(size=n))), 2)  # ties
    snr = etheta * (1 + 0.1 * rng.normal(size=n))
    delta_f = -base + 0.5 * rng.normal(size=n)
    delta_f[rng.choice(n, 3, replace=False)] = np.inf                  # ties at +inf
    delta_f[rng.choice(n, 2, replace=False)] = -np.inf
    delta_u = np.round(-base + rng.normal(size=n), 0)                   # heavy ties
    delta_u[rng.choice(n, 1, replace=False)] = np.inf
    criteria = [
        ("L2", l2, "ascending"),
        ("E[θ]", etheta, "ascending"),
        ("SNR", snr, "ascending"),
        ("BMRS_N", delta_f, "descending"),
        ("BMRS_U-4", delta_u, "descending"),
    ]
    k = len(criteria)
    matrix = np.eye(k)
    for i in range(k):
        for j in range(i + 1, k):
            rho = stats.spearmanr(oriented_finite(criteria[i][1], criteria[i][2]),
                                  oriented_finite(criteria[j][1], criteria[j][2])).statistic
            matrix[i, j] = matrix[j, i] = rho
    spearman_cases.append({
        "criteria": [{"name": c[0], "scores": encode_list(c[1]), "direction": c[2]}
                     for c in criteria],
        "matrix": matrix.tolist(),
    })
stack = np.array([c["matrix"] for c in spearman_cases])
spearman_average = {
    "mean": stack.mean(axis=0).tolist(),
    "populationStd": stack.std(axis=0).tolist(),
    "sampleStd": stack.std(axis=0, ddof=1).tolist(),
}

# --- aggregation and quantiles -----------------------------------------------
aggregation_cases = []
for n in (1, 2, 10, 37):
    v = rng.normal(loc=80, scale=5, size=n)
    aggregation_cases.append({
        "values": v.tolist(),
        "mean": float(np.mean(v)),
        "populationStd": float(np.std(v)),
        "sampleStd": float(np.std(v, ddof=1)) if n > 1 else None,
    })

quantile_cases = []
for n in (1, 2, 9, 100):
    v = rng.normal(size=n)
    v[: n // 3] = np.round(v[: n // 3], 0)
    qs = [0.0, 0.025, 0.1, 0.5, 0.9, 0.975, 1.0]
    quantile_cases.append({
        "values": v.tolist(),
        "q": qs,
        "expected": [float(np.percentile(v, 100 * q)) for q in qs],
    })

# --- Wilcoxon signed-rank ----------------------------------------------------


def brute_force_wilcoxon(d):
    d = np.asarray(d, dtype=float)
    d = d[d != 0]
    ranks = stats.rankdata(np.abs(d))
    observed = ranks[d > 0].sum()
    signs = np.array(list(itertools.product((0.0, 1.0), repeat=len(d))))
    w_plus = signs @ ranks
    at_most = np.mean(w_plus <= observed + 1e-9)
    at_least = np.mean(w_plus >= observed - 1e-9)
    return min(1.0, 2 * min(at_most, at_least))


wilcoxon_cases = []


def add_wilcoxon(d, how):
    d = np.asarray(d, dtype=float)
    nz = d[d != 0]
    ranks = stats.rankdata(np.abs(nz))
    if how == "exact":
        p = stats.wilcoxon(d, method="exact").pvalue
    elif how == "permutation":
        p = stats.wilcoxon(d, method=stats.PermutationMethod()).pvalue
    elif how == "brute":
        p = brute_force_wilcoxon(d)
    else:
        p = stats.wilcoxon(d, method="asymptotic", correction=False).pvalue
    wilcoxon_cases.append({
        "differences": d.tolist(),
        "how": how,
        "positiveRankSum": float(ranks[nz > 0].sum()),
        "negativeRankSum": float(ranks[nz < 0].sum()),
        "statistic": float(stats.wilcoxon(d).statistic) if len(nz) > 0 else 0.0,
        "pValue": float(p),
        "exact": how != "asymptotic",
    })


for n in (5, 10, 10, 17, 25):
    # distinct |d| (no ties, no zeros): scipy's exact distribution applies
    add_wilcoxon(rng.normal(loc=0.4, size=n), "exact")
add_wilcoxon([1.5, -0.5, 2.0, 0.0, 1.5, -1.5, 3.0, 0.0, 2.5, 1.0], "permutation")
add_wilcoxon(np.round(rng.normal(loc=0.5, size=13), 0), "permutation")
add_wilcoxon(np.round(rng.normal(loc=0.3, size=18), 0), "brute")
add_wilcoxon(np.round(rng.normal(loc=0.3, size=40), 1), "asymptotic")

# --- interpolation onto a grid and seed averages ------------------------------


def merge_duplicates(x, y):
    xs, inverse = np.unique(x, return_inverse=True)
    ys = np.array([y[inverse == k].mean() for k in range(len(xs))])
    return xs, ys


curves = []
for seed_index in range(4):
    n = 8 + 3 * seed_index
    lo, hi = rng.uniform(0, 20), rng.uniform(70, 100)
    x = np.sort(rng.uniform(lo, hi, size=n))
    x[2] = x[3]                                   # a duplicated x
    y = 97 - 0.002 * x ** 2 + rng.normal(scale=0.3, size=n)
    order = rng.permutation(n)                    # recorded out of order
    curves.append({"x": x[order].tolist(), "y": y[order].tolist()})
grid = np.linspace(0, 100, 41)
mean, pop_std, samp_std, count = [], [], [], []
for g in grid:
    present = []
    for c in curves:
        xs, ys = merge_duplicates(np.array(c["x"]), np.array(c["y"]))
        if xs[0] <= g <= xs[-1]:
            present.append(float(np.interp(g, xs, ys)))
    count.append(len(present))
    mean.append(float(np.mean(present)) if present else None)
    pop_std.append(float(np.std(present)) if present else None)
    samp_std.append(float(np.std(present, ddof=1)) if len(present) > 1 else None)
grid_average = {
    "curves": curves,
    "grid": grid.tolist(),
    "count": count,
    "mean": mean,
    "populationStd": pop_std,
    "sampleStd": samp_std,
}

# --- Pareto front and distances ---------------------------------------------


def pareto(points):
    unique = sorted(set(points))
    front = [p for p in unique
             if not any(q[0] >= p[0] and q[1] >= p[1] and q != p for q in unique)]
    return sorted(front)


def segment_distance(p, a, b):
    p, a, b = map(np.asarray, (p, a, b))
    ab = b - a
    t = np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0, 1)
    return float(np.linalg.norm(p - (a + t * ab)))


pts = [(float(x), float(y)) for x, y in
       zip(np.round(rng.uniform(0, 100, 60), 0), np.round(rng.uniform(10, 98, 60), 0))]
pts += [pts[0], pts[5]]                        # exact duplicates
front = pareto(pts)
queries = [(float(x), float(y)) for x, y in zip(rng.uniform(0, 100, 12), rng.uniform(10, 98, 12))]
x_scale, y_scale = 100.0, 88.0


def front_distance(q, sx, sy):
    f = [(p[0] / sx, p[1] / sy) for p in front]
    qq = (q[0] / sx, q[1] / sy)
    if len(f) == 1:
        return float(np.hypot(qq[0] - f[0][0], qq[1] - f[0][1]))
    return min(segment_distance(qq, f[k], f[k + 1]) for k in range(len(f) - 1))


pareto_case = {
    "points": [list(p) for p in pts],
    "front": [list(p) for p in front],
    "queries": [list(q) for q in queries],
    "distances": [front_distance(q, 1.0, 1.0) for q in queries],
    "xScale": x_scale,
    "yScale": y_scale,
    "scaledDistances": [front_distance(q, x_scale, y_scale) for q in queries],
}

# --- Kneedle difference curve ------------------------------------------------
kx = np.sort(rng.uniform(0, 95, 30))
ky = 98 - 60 / (1 + np.exp(-(kx - 70) / 4)) + rng.normal(scale=0.2, size=30)
xn = (kx - kx.min()) / (kx.max() - kx.min())
yn = (ky - ky.min()) / (ky.max() - ky.min())
diff = yn + xn - 1
knee_case = {
    "x": kx.tolist(),
    "y": ky.tolist(),
    "differenceX": xn.tolist(),
    "differenceY": diff.tolist(),
    "kneeX": float(kx[np.argmax(diff)]),
    "kneeY": float(ky[np.argmax(diff)]),
}

fixtures = {
    "ranks": rank_cases,
    "spearman": spearman_cases,
    "spearmanAverage": spearman_average,
    "aggregation": aggregation_cases,
    "quantiles": quantile_cases,
    "wilcoxon": wilcoxon_cases,
    "gridAverage": grid_average,
    "pareto": pareto_case,
    "kneedle": knee_case,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump(fixtures, f, indent=1, ensure_ascii=False, allow_nan=False)
    f.write("\n")
print(f"wrote {path}")
