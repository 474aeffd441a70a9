"""The simulated population: how one day's applicants, their bureau files, their history with
the lender, their purchases and their outcomes are drawn.

A latent credit quality drives the bureau file, the history with the lender and the outcome; it
is never emitted, which keeps the target learnable but not trivially so. Categories are drawn as
level codes, in the order of ``core.simulate.CATEGORIES``. A drift scenario enters as a shock:
its intensity (0 to 1) by scenario name.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

NEW_CUSTOMER_DAYS = 9999  # days_since_last_loan of applicants who never borrowed with us
INTERCEPT = -3.25  # puts the baseline bad rate near 7.5 %
_AGE_SHARE = np.log([0.17, 0.30, 0.22, 0.15, 0.10, 0.06])
_AGE_LOW, _AGE_SPAN = np.array([18, 25, 35, 45, 55, 65]), np.array([7, 10, 10, 10, 10, 15])
_AGE_MID, _INCOME_MID = (_AGE_LOW + _AGE_SPAN / 2 - 40) / 13, np.arange(8) / 2 - 1.75
# fmt: off
_EMPLOYMENT = np.log([  # employment mix per age band
    [0.55, 0.05, 0.30, 1e-3, 0.10], [0.78, 0.10, 0.04, 1e-3, 0.08], [0.78, 0.13, 0.01, 0.01, 0.07],
    [0.75, 0.14, 1e-3, 0.04, 0.07], [0.60, 0.14, 1e-3, 0.19, 0.07], [0.15, 0.08, 1e-3, 0.74, 0.03],
])
# fmt: on
_LOG_INCOME = np.array([11.0, 11.05, 9.9, 10.5, 9.6])
_JOB_RISK = np.array([0.0, 0.15, 0.2, -0.1, 0.5])
_MERCHANT_LOGIT = np.array([0.3, 0.6, 0.2, -0.6, 0.0, -0.3, -0.5, -0.2])
_MERCHANT_CART = np.array([6.0, 4.8, 5.5, 6.4, 4.2, 5.0, 5.2, 4.3])  # log USD
_MERCHANT_RISK = np.array([0.25, 0.0, -0.1, 0.35, -0.05, 0.0, 0.4, -0.25])
_RISKY_MERCHANT = np.array([1.0, 0, 0, 1, 0, 0, 1, 0])
_TERMS, _SIZE_MID = np.array([1.5, 3.0, 6.0, 12.0, 24.0]), np.arange(12) / 2 - 1.75
_HOURS = np.array([2, 1.2, 0.8, 0.6, 0.6, 0.8, 1.5, 2.5, 3.5, 4.2, 4.8, 5.2, 5.5, 5.5, 5, 4.8])
_HOURS = np.concatenate([_HOURS, [4.8, 5, 5.4, 6, 6.2, 5.6, 4.4, 3.2]])
_HOURS /= _HOURS.sum()  # shares of the day's applications by hour: lunch and evening peaks


def _pick(rng: np.random.Generator, logits, n: int, group: np.ndarray | None = None) -> np.ndarray:
    """One level per row from (k,) logits, or from the (groups, k) table row named by ``group``."""
    table = np.atleast_2d(logits)
    cum = np.cumsum(np.exp(table - table.max(axis=1, keepdims=True)), axis=1)
    row = 0 if group is None else group.astype(np.intp, copy=False)
    u, level = rng.random(n), np.zeros(n, dtype=np.int64)
    # Inverse CDF as one comparison per level: faster than a binary search for so few levels.
    for edge in (cum[:, :-1] / cum[:, -1:]).T:
        level += u > edge[row]
    return level


def _applicant(rng: np.random.Generator, n: int, shock: dict[str, float]) -> dict:
    """Age, latent credit quality, employment, income, housing, device, state, tenures."""
    band = _pick(rng, _AGE_SHARE, n)
    age = _AGE_LOW[band] + rng.random(n) * _AGE_SPAN[band]
    age_z = (age - 40) / 13
    z = rng.standard_normal(n) + 0.15 * age_z
    job = _pick(rng, _EMPLOYMENT + [0, 0, 0, 0, 0.9 * shock["income_shock"]], n, band)
    log_income = _LOG_INCOME[job] + 0.12 * np.minimum(age_z, 1) + 0.15 * z + rng.normal(0, 0.5, n)
    inc_z = (log_income - 10.8) / 0.6
    group = band * 8 + np.clip((inc_z + 2) * 2, 0, 7).astype(int)
    by_age = np.multiply.outer(_AGE_MID, [[0.8, 0.5, 0, -1.2], [-0.2, -0.1, 0.4, 0.2]])
    by_income = np.multiply.outer(_INCOME_MID, [[0.3, 0.6, -0.2, -0.4], [0.3, -0.2, 0, 0.1]])
    table = (by_age[:, None] + by_income[None]).reshape(48, 2, 4)
    years = age - 18
    email = np.exp(rng.normal(6.5 + 0.3 * age_z + 0.2 * z, 0.9))
    tenure = np.where(job <= 1, np.minimum(rng.exponential(6 + 2 * years), years * 12), 0)
    return {
        "age_band": band, "employment_status": job, "age": age, "z": z, "inc_z": inc_z,
        "base_income": np.exp(log_income),
        # Incomes fall under the shock while debts stay, so DTI rises on its own.
        "annual_income": np.round(np.exp(log_income - 0.25 * shock["income_shock"]), -2),
        "housing_status": _pick(rng, table[:, 0] + [-1.0, 0.0, 0.5, -0.5], n, group),
        "device_type": _pick(rng, table[:, 1] + [0.4, 0.4, -0.3, -1.5], n, group),
        "state": _pick(rng, np.log([12, 9, 7, 6, 4, 4, 3.5, 3.5, 3, 3, 45]), n),
        "email_age_days": np.minimum(email, np.minimum(years + 6, 30) * 365).astype(int),
        "address_months": np.minimum(rng.exponential(6 + 1.2 * years), years * 12 + 24).astype(int),
        "employment_months": tenure.astype(int),
    }  # fmt: skip


def _bureau(rng: np.random.Generator, c: dict, shock: dict[str, float]) -> dict:
    """Bureau file; the score follows delinquencies, utilization, inquiries and file age."""
    n, age_z = len(c["z"]), (c["age"] - 40) / 13
    # The shift brings in weaker applicants, so every bureau field and the outcome move together.
    z = c["z"] - 0.6 * shock["bureau_shift"]
    delinquencies = rng.poisson(np.exp(-1.3 - 0.9 * z))
    utilization = np.exp(rng.normal(-1.1 - 0.45 * z + 0.25 * shock["bureau_shift"], 0.55))
    utilization = np.round(np.minimum(utilization, 3), 3)
    inquiries = rng.poisson(np.exp(0.2 - 0.35 * z) * (1 + 0.6 * shock["bureau_shift"]))
    oldest = ((c["age"] - 18) * 12 * rng.random(n) ** 0.4).astype(int)
    score = 690 + 55 * z - 18 * delinquencies - 60 * (utilization - 0.3) - 5 * inquiries
    score += 0.06 * (oldest - 120) + rng.normal(0, 20, n)
    return {
        "bureau_score": np.clip(score, 300, 850).astype(int),
        "bureau_inquiries_6m": inquiries,
        "bureau_open_trades": rng.poisson(np.exp(1.5 + 0.25 * age_z + 0.2 * c["inc_z"])),
        "bureau_utilization": utilization,
        "bureau_oldest_trade_months": oldest,
        "bureau_delinquencies_24m": delinquencies,
    }


def _history(rng: np.random.Generator, c: dict) -> dict:
    """History with the lender; new customers have no prior loans and the sentinel gap."""
    n, z = len(c["z"]), c["z"]
    back = rng.random(n) < 0.5  # returning customer
    count = np.where(back, 1 + rng.poisson(np.exp(0.9 + 0.2 * (c["age"] - 40) / 13)), 0)
    late = rng.binomial(count, 1 / (1 + np.exp(2.3 + 0.9 * z)))
    charged_off, u = ((late > 0) & (rng.random(n) < 0.3)).astype(int), rng.random(n)
    open_loans = np.minimum((u < 0.4).astype(int) + (u < 0.1), count - charged_off)
    # A charged-off loan went far past due; the others were cured within two months.
    worst = np.minimum(np.exp(rng.normal(2.3 + 0.2 * late, 0.5)), 59)
    worst = np.where(charged_off > 0, 90 + rng.exponential(60, n), worst)
    since_last = np.where(back, 1 + rng.exponential(90, n), NEW_CUSTOMER_DAYS).astype(int)
    account = np.where(back, since_last + 30 * count + rng.exponential(400, n), 0)
    orders = np.round(np.exp(rng.normal(4.8 + 0.3 * c["inc_z"], 0.6)), 2)
    return {
        "back": back, "prior_loans_count": count, "prior_delinquencies": late,
        "prior_loans_repaid": count - charged_off - open_loans,
        "max_days_past_due_prior": np.where(late > 0, np.ceil(worst), 0).astype(int),
        "days_since_last_loan": since_last,
        "account_age_days": np.where(
            back | (rng.random(n) < 0.7), account, rng.exponential(150, n)
        ).astype(int),
        "phone_verified": (rng.random(n) < 1 / (1 + np.exp(-1.8 - 0.5 * z - back))).astype(int),
        "applications_7d": rng.poisson(np.exp(-1.2 - 0.3 * z)),
        "avg_order_value_prior": np.where(back, orders, 0.0),
        "returns_rate_prior": np.where(back, np.round(rng.random(n) ** 3 * 0.5, 3), 0.0),
        "channel": _pick(rng, [[1.2, -0.5, 0.0, -1.2], [1.2, 1.0, 0.0, -1.2]], n, back),
    }  # fmt: skip


def _purchase(rng: np.random.Generator, c: dict, shock: dict[str, float]) -> dict:
    """Basket, plan and affordability: amount, term, instalment, deposit and DTI."""
    n, mix = len(c["z"]), shock["merchant_mix"]
    merchant = _pick(rng, _MERCHANT_LOGIT + 1.3 * mix * _RISKY_MERCHANT, n)
    log_cart = _MERCHANT_CART[merchant] + 0.25 * c["inc_z"] + 0.2 * mix + rng.normal(0, 0.6, n)
    log_cart = np.maximum(log_cart, 2.7)
    terms = np.multiply.outer(_SIZE_MID, [-1.4, 0, 0.5, 0.9, 1.2]) + [2.0, 0.3, -0.2, -1.2, -3.0]
    term = _pick(rng, terms, n, np.clip((log_cart - 3) * 2, 0, 11).astype(int))
    pay_in_4, months = term == 0, _TERMS[term]
    # Pay-in-4 takes the first of four payments at checkout; monthly plans may ask a deposit.
    deposit = np.where(rng.random(n) < 0.6, 0.0, np.round(0.05 + 0.3 * rng.random(n) ** 2, 2))
    down = np.where(pay_in_4, 0.25, deposit)
    cart = np.round(np.exp(log_cart), 2)
    loan = np.clip(np.round(cart * (1 - down), 2), 10, 50000)
    apr = np.clip(0.30 - 0.0006 * (c["bureau_score"] - 650), 0.10, 0.36)
    rate = np.where(pay_in_4 | (rng.random(n) < 0.3), 1e-9, apr / 12)  # 30 % are 0 % promos
    installment = np.where(pay_in_4, loan / 3, loan * rate / (1 - (1 + rate) ** -months))
    trades = 0.5 * (c["bureau_utilization"] - 0.3) + 0.03 * (c["bureau_open_trades"] - 4)
    debt = c["base_income"] / 12 * np.exp(rng.normal(-1.6 + trades, 0.45))
    limit = np.round(loan * np.exp(rng.normal(0.6, 0.4, n)), -1)
    return {
        "merchant_category": merchant,
        "cart_value": cart,
        "cart_items": 1 + rng.poisson(np.exp(0.2 + 0.25 * (log_cart - 5))),
        "term_months": months,
        "down_payment_pct": down,
        "loan_amount": loan,
        "installment_amount": np.round(installment, 2),
        "debt_to_income": np.round((debt + installment) / (c["annual_income"] / 12), 4),
        "credit_limit_requested": np.where(rng.random(n) < 0.4, 0.0, limit),
    }


def _clock(rng: np.random.Generator, day: dt.date, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted application times within ``day`` and their hour."""
    hour = np.repeat(np.arange(24), rng.multinomial(n, _HOURS))
    seconds = np.sort(hour * 3600 + rng.random(n) * 3600)
    applied = np.datetime64(day, "ns") + (seconds * 1e9).astype("timedelta64[ns]")
    return applied, (seconds // 3600).astype(int)


def _is_bad(rng: np.random.Generator, c: dict, shock: dict[str, float]) -> np.ndarray:
    """0/1 outcome from a logistic model of the features, the latent quality and noise."""
    n, back = len(c["z"]), c["back"]
    repaid = c["prior_loans_repaid"] / np.maximum(c["prior_loans_count"], 1)
    # The latent quality enters directly: the bureau only sees it through noise, capping the AUC.
    logit = INTERCEPT - 0.75 * c["z"] + 1.1 * (c["debt_to_income"] - 0.35)
    logit += 0.2 * c["bureau_delinquencies_24m"] + 0.5 * (c["bureau_utilization"] - 0.35)
    logit += 0.06 * c["bureau_inquiries_6m"] + 0.35 * (c["prior_delinquencies"] > 0)
    logit += 0.004 * c["max_days_past_due_prior"] - 0.5 * repaid * back + 0.25 * ~back
    logit += _MERCHANT_RISK[c["merchant_category"]] + _JOB_RISK[c["employment_status"]]
    logit += 0.12 * np.log(c["term_months"]) + 0.2 * np.log(c["loan_amount"] / 200)
    logit += -0.1 * np.log1p(c["email_age_days"] / 30)
    logit += 0.3 * (1 - c["phone_verified"]) + 0.3 * (c["hour_of_day"] < 6)
    # Hardship the features cannot see: the shock raises risk beyond what lower incomes explain.
    logit += 0.15 * c["applications_7d"] + 0.3 * shock["income_shock"] + rng.normal(0, 0.5, n)
    return (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)


def generate(day: dt.date, rows: int, seed: int, shock: dict[str, float]) -> dict:
    """Every simulated column plus internals for one day; categories as level codes."""
    # Seeded by (seed, day) so any day rebuilds alone; one generator per block, so a scenario that
    # changes how many draws one block takes leaves the other blocks' draws untouched.
    seeds = np.random.SeedSequence([seed, day.toordinal()]).spawn(7)
    rng = [np.random.default_rng(s) for s in seeds]
    c = _applicant(rng[0], rows, shock)
    c.update(_bureau(rng[1], c, shock))
    c.update(_history(rng[2], c))
    c.update(_purchase(rng[3], c, shock))
    c["applied_at"], c["hour_of_day"] = _clock(rng[4], day, rows)
    c["is_weekend"] = np.full(rows, int(day.weekday() >= 5))
    c["is_bad"] = _is_bad(rng[5], c, shock)
    c["rng"] = rng[6]
    return c
