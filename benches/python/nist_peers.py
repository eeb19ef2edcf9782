"""Peer scores on NIST's StRD for `cargo xtask nist` (docs/RELIABILITY.md, "Numerical accuracy").

Reads the datasets exactly as crates/ml-pipeline/tests/nist_strd.rs does (same header
parsing, same designs, same LRE), fits the linear least squares ones with numpy.linalg.lstsq
and statsmodels OLS (QR, and its default pseudo-inverse), and scores numpy's mean and std
on the univariate ones. "exact on the float64 design" solves the least squares problem in
exact rational arithmetic on the very design matrix the fits get (powers of x correctly
rounded to float64): what any float64 solver could reach at best with that matrix. "float64
ceiling" is exact rational arithmetic on the inputs as rounded to float64 (powers exact): the
limit the data's own rounding sets.

    python nist_peers.py STRD_DIR

Prints tab-separated records on stdout:
    version  package  version
    lls      dataset  peer  min-coef-LRE  resid-sd-LRE
    uni      dataset  peer  mean-LRE      std-LRE
"""

import math
import platform
import sys
from decimal import Decimal, getcontext
from fractions import Fraction
from pathlib import Path

import numpy as np
import statsmodels
import statsmodels.api as sm

LLS = ["Norris", "Pontius", "NoInt1", "NoInt2", "Filip", "Longley",
       "Wampler1", "Wampler2", "Wampler3", "Wampler4", "Wampler5"]
UNIVARIATE = ["NumAcc1", "NumAcc2", "NumAcc3", "NumAcc4", "PiDigits", "Lottery",
              "Lew", "Mavro", "Michelso"]

# Enough digits that the exact answers' square roots are exact at LRE 15.
getcontext().prec = 60


def lre(got, cert):
    """nist_strd.rs's `lre`: -log10 of the relative error (absolute when cert == 0), in [0, 15].

    Also takes Fractions and Decimals (the exact answers), whose error is computed exactly.
    """
    if isinstance(got, float) and not math.isfinite(got):
        return 0.0
    err = float(abs(got) if cert == 0 else abs(got - cert) / abs(cert))
    if err == 0:
        return 15.0
    return min(max(-math.log10(err), 0.0), 15.0)


def pow_rounded(x, n):
    """x**n correctly rounded (exact power of the float, rounded once), as nist_strd.rs's
    `pow_rounded` builds the design."""
    return float(Fraction(x) ** n)


def header_range(lines, what):
    """The 1-based inclusive line range a header gives for `what` ("Certified Values", "Data")."""
    for line in lines[:20]:
        if line.lstrip().startswith(what) and "lines" in line:
            tail = line[line.index("lines") + 5:]
            nums = [int(t) for t in "".join(c if c.isdigit() else " " for c in tail).split()]
            return nums[0], nums[1]
    raise ValueError(f"no {what!r} range")


def numbers(line):
    try:
        v = [float(t) for t in line.split()]
    except ValueError:
        return None
    return v or None


def read_lls(d, name):
    """(y, x rows, certified coefficients as decimal strings, certified residual sd string)."""
    lines = (d / f"{name}.dat").read_text().splitlines()
    c0, c1 = header_range(lines, "Certified Values")
    d0, d1 = header_range(lines, "Data")
    coef, resid_sd = [], None
    for line in lines[c0 - 1:c1]:
        t = line.split()
        if len(t) >= 3 and t[0].startswith("B") and t[0][1:].isdigit():
            coef.append(t[1])
        if line.lstrip().startswith("Standard Deviation"):
            resid_sd = t[-1]
    y, x = [], []
    for line in lines[d0 - 1:d1]:
        v = numbers(line)
        y.append(v[0])
        x.append(v[1:])
    return y, x, coef, resid_sd


def degree(name):
    """The polynomial models' degree (0: the predictors as they are), as nist_strd.rs has it."""
    return {"Pontius": 2, "Filip": 10}.get(name, 5 if name.startswith("Wampler") else 0)


def design(name, x):
    """nist_strd.rs's `design`: columns x, x^2, .. for the polynomial models; the intercept."""
    if degree(name):
        cols = [[pow_rounded(r[0], j + 1) for j in range(degree(name))] for r in x]
    else:
        cols = [list(r) for r in x]
    return cols, not name.startswith("NoInt")


def score(y, cols, intercept, params, coef, resid_sd):
    """(smallest coefficient LRE, residual sd LRE), the residuals exact (rational arithmetic on
    the fitted parameters and the design), as nist_strd.rs scores ours."""
    params = [float(p) for p in params]
    b0, b = (params[0], params[1:]) if intercept else (0.0, params)
    coef_lre = min(lre(g, float(c)) for g, c in zip(params, coef))
    rss = Fraction(0)
    for yi, row in zip(y, cols):
        r = Fraction(yi) - Fraction(b0) - sum(Fraction(a) * Fraction(w) for a, w in zip(row, b))
        rss += r * r
    sd = math.sqrt(rss / (len(y) - len(coef)))
    return coef_lre, lre(sd, float(resid_sd))


def exact_lls(name, y, x, coef, resid_sd, rounded_design):
    """Exact least squares: the normal equations solved in rationals.

    With `rounded_design`, on the design exactly as the fits get it (powers rounded to
    float64): the best any float64 least-squares solver can do with that matrix. Otherwise on
    exact powers of the rounded inputs: the ceiling set by the data's own rounding alone.
    """
    ones = [Fraction(1)] * (not name.startswith("NoInt"))
    if degree(name) and rounded_design:
        rows = [ones + [Fraction(pow_rounded(r[0], j + 1)) for j in range(degree(name))] for r in x]
    elif degree(name):
        rows = [ones + [Fraction(r[0]) ** (j + 1) for j in range(degree(name))] for r in x]
    else:
        rows = [ones + [Fraction(v) for v in r] for r in x]
    ys = [Fraction(v) for v in y]
    k = len(rows[0])
    a = [[sum(r[i] * r[j] for r in rows) for j in range(k)]
         + [sum(r[i] * t for r, t in zip(rows, ys))] for i in range(k)]
    for i in range(k):
        p = next(r for r in range(i, k) if a[r][i] != 0)
        a[i], a[p] = a[p], a[i]
        for r in range(k):
            if r != i and a[r][i] != 0:
                f = a[r][i] / a[i][i]
                a[r] = [u - f * v for u, v in zip(a[r], a[i])]
    w = [a[i][k] / a[i][i] for i in range(k)]
    coef_lre = min(lre(g, Fraction(c)) for g, c in zip(w, coef))
    rss = sum((t - sum(u * v for u, v in zip(r, w))) ** 2 for r, t in zip(rows, ys))
    var = rss / (len(y) - len(coef))
    sd = (Decimal(var.numerator) / Decimal(var.denominator)).sqrt()
    return coef_lre, lre(sd, Decimal(resid_sd))


def lls(d, name):
    y, x, coef, resid_sd = read_lls(d, name)
    cols, intercept = design(name, x)
    a = np.array([[1.0] * intercept + r for r in cols])
    yv = np.array(y)
    fits = {
        "numpy lstsq": np.linalg.lstsq(a, yv, rcond=None)[0],
        "statsmodels QR": sm.OLS(yv, a).fit(method="qr").params,
        "statsmodels pinv": sm.OLS(yv, a).fit().params,
    }
    for peer, params in fits.items():
        yield peer, score(y, cols, intercept, params, coef, resid_sd)
    yield "exact on the float64 design", exact_lls(name, y, x, coef, resid_sd, True)
    yield "float64 ceiling", exact_lls(name, y, x, coef, resid_sd, False)


def read_univariate(d, name):
    """(values, certified mean string, certified std string), as nist_strd.rs reads them."""
    lines = (d / f"{name}.dat").read_text().splitlines()

    def last(prefix):
        return next(line for line in lines if line.lstrip().startswith(prefix)).split()[-1]

    start = max(i for i, line in enumerate(lines) if line.lstrip().startswith("Data:"))
    values = [v[0] for v in map(numbers, lines[start + 1:]) if v]
    return values, last("Sample Mean"), last("Sample Standard Deviation")


def univariate(d, name):
    values, mean, sd = read_univariate(d, name)
    v = np.array(values)
    got = float(np.mean(v)), float(np.std(v, ddof=1))
    yield "numpy", (lre(got[0], float(mean)), lre(got[1], float(sd)))
    exact = [Fraction(t) for t in values]
    m = sum(exact) / len(exact)
    var = sum((t - m) ** 2 for t in exact) / (len(exact) - 1)
    s = (Decimal(var.numerator) / Decimal(var.denominator)).sqrt()
    yield "float64 ceiling", (lre(m, Fraction(mean)), lre(s, Decimal(sd)))


def main():
    d = Path(sys.argv[1])
    print(f"version\tPython\t{platform.python_version()}")
    print(f"version\tnumpy\t{np.__version__}")
    print(f"version\tstatsmodels\t{statsmodels.__version__}")
    for name in LLS:
        for peer, (c, s) in lls(d, name):
            print(f"lls\t{name}\t{peer}\t{c!r}\t{s!r}")
    for name in UNIVARIATE:
        for peer, (c, s) in univariate(d, name):
            print(f"uni\t{name}\t{peer}\t{c!r}\t{s!r}")


if __name__ == "__main__":
    main()
