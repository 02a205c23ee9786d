"""Estimate net income from gross with the 2026 loonheffing rules (brackets + heffingskortingen).

The estimate treats a year of the current monthly income as the taxable (box 1) income and labour income
(wages, profit) as the arbeidskorting base. It leaves out what the package does not show: the Zvw
contribution on pensions and profit, deductions (mortgage interest, zelfstandigenaftrek), and the
alleenstaande-ouderenkorting and IACK. Credits are limited to the tax due (no payout of unused credits).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from databrug.eligibility.model import NetEstimate
from databrug.eligibility.norms import TaxRules

CENT = Decimal("0.01")
ZERO = Decimal(0)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def bracket_tax(income: Decimal, rules: TaxRules, aow: bool) -> Decimal:
    tax = ZERO
    lower = ZERO
    for bracket in rules.brackets:
        upper = income if bracket.upto is None else min(income, bracket.upto)
        if upper > lower:
            tax += (upper - lower) * (bracket.rate_aow if aow else bracket.rate)
        if bracket.upto is None or income <= bracket.upto:
            break
        lower = bracket.upto
    return cents(tax)


def general_credit(income: Decimal, rules: TaxRules, aow: bool) -> Decimal:
    maximum = rules.general_max_aow if aow else rules.general_max
    rate = rules.general_phase_out_rate_aow if aow else rules.general_phase_out_rate
    reduction = max(ZERO, income - rules.general_phase_out_from) * rate
    return cents(max(ZERO, maximum - reduction))


def labour_credit(labour: Decimal, rules: TaxRules, aow: bool) -> Decimal:
    if labour <= 0:
        return ZERO
    step = max((s for s in rules.labour_steps if labour >= s.start), key=lambda s: s.start)
    base = step.base_aow if aow else step.base
    rate = step.rate_aow if aow else step.rate
    return cents(max(ZERO, base + (labour - step.start) * rate))


def elderly_credit(income: Decimal, rules: TaxRules, aow: bool) -> Decimal:
    if not aow:
        return ZERO
    reduction = max(ZERO, income - rules.elderly_phase_out_from) * rules.elderly_phase_out_rate
    return cents(max(ZERO, rules.elderly_max - reduction))


def estimate_net(monthly_gross: Decimal, monthly_labour: Decimal, rules: TaxRules, aow: bool) -> NetEstimate:
    annual = cents(monthly_gross * 12)
    labour = cents(monthly_labour * 12)
    tax = bracket_tax(annual, rules, aow)
    general = general_credit(annual, rules, aow)
    work = labour_credit(labour, rules, aow)
    elderly = elderly_credit(annual, rules, aow)
    due = max(ZERO, tax - general - work - elderly)
    net_annual = annual - due
    return NetEstimate(
        annual_gross=annual,
        annual_labour=labour,
        aow=aow,
        bracket_tax=tax,
        general_credit=general,
        labour_credit=work,
        elderly_credit=elderly,
        tax_due=due,
        net_annual=net_annual,
        net_monthly=cents(net_annual / 12),
    )
