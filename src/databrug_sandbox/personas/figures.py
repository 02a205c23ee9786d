"""Dutch amounts for 2023–2026, rounded, so generated incomes and allowances look real.

Approximations of the published figures (minimum wage, AOW, bijstandsnormen, allowance limits); good enough
for a sandbox, not for advice.
"""

from __future__ import annotations

from decimal import Decimal

# Gross full-time minimum wage per month (average over the year's two indexations).
MINIMUM_WAGE_MONTH = {2022: 1756, 2023: 1995, 2024: 2100, 2025: 2190, 2026: 2250}

# AOW, gross per year including holiday allowance.
AOW_SINGLE_YEAR = {2022: 16_400, 2023: 17_900, 2024: 18_700, 2025: 19_300, 2026: 19_900}
AOW_TOGETHER_YEAR = {2022: 11_300, 2023: 12_300, 2024: 12_800, 2025: 13_200, 2026: 13_600}

# Bijstand (Participatiewet), gross per month as paid by the municipality (norm plus withheld tax).
BIJSTAND_SINGLE_MONTH = {2022: 1300, 2023: 1400, 2024: 1460, 2025: 1510, 2026: 1560}
BIJSTAND_COUPLE_FACTOR = Decimal("1.43")

HOLIDAY_ALLOWANCE_RATE = Decimal("0.08")

# Box 3: tax-free assets per person and the deemed return on savings.
BOX3_THRESHOLD = {2022: 50_650, 2023: 57_000, 2024: 57_000, 2025: 57_684, 2026: 59_357}
BOX3_SAVINGS_RETURN = {
    2022: Decimal("0.0000"),
    2023: Decimal("0.0036"),
    2024: Decimal("0.0103"),
    2025: Decimal("0.0144"),
    2026: Decimal("0.0128"),
}
EIGENWONINGFORFAIT_RATE = Decimal("0.0035")

# Allowances 2026 (monthly maximum, income where it reaches zero), simplified to straight lines.
ZORGTOESLAG_SINGLE = (Decimal("131"), Decimal("28720"), Decimal("40000"))
ZORGTOESLAG_COUPLE = (Decimal("250"), Decimal("28720"), Decimal("50000"))
ZORGTOESLAG_ASSET_LIMIT = Decimal("141896")
HUURTOESLAG_MAX_RENT = Decimal("932.93")
HUURTOESLAG_CAPPED_RENT = Decimal("650")  # above this only part of the rent counts (simplified)
HUURTOESLAG_BASE_RENT = Decimal("230")  # own share at low incomes
HUURTOESLAG_SINGLE_SHARE = Decimal("0.27")  # of monthly income above 20,000 a year
HUURTOESLAG_COUPLE_SHARE = Decimal("0.22")
HUURTOESLAG_ASSET_LIMIT = Decimal("38479")
KINDGEBONDEN_PER_CHILD_YEAR = Decimal("2600")
KINDGEBONDEN_SINGLE_PARENT_YEAR = Decimal("3480")
KINDGEBONDEN_THRESHOLD_SINGLE = Decimal("29700")
KINDGEBONDEN_THRESHOLD_COUPLE = Decimal("39000")
KINDGEBONDEN_TAPER = Decimal("0.0675")

# Company car: 22% of the catalogue value per year is added to the wage (bijtelling).
CAR_ADDITION_RATE = Decimal("0.22")

# Payroll tax (box 1 first bracket) and a rough total of tax credits for the withheld-tax estimate.
BOX1_RATE = Decimal("0.3697")
EMPLOYMENT_CREDITS = Decimal("7000")
BENEFIT_CREDITS = Decimal("3200")


def year_figure(table: dict[int, int], year: int) -> Decimal:
    """The figure for ``year``; outside the table the nearest year's figure."""
    clamped = min(max(year, min(table)), max(table))
    return Decimal(table[clamped])
