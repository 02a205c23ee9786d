"""Assets the way the Participatiewet counts them: bank balances plus home equity (WOZ − mortgage).

Homes owned by both partners appear in both subjects' data: they are counted once (by WOZ object id).
Fiscal partners each report their share of the mortgage, so the mortgage debts of the last tax year are
summed over both. Vehicles are listed but have no value in the package: not counted (the caseworker can look).
"""

from __future__ import annotations

from decimal import Decimal

from databrug.eligibility.model import AssetItem
from databrug.eligibility.parameters import HomeEquityRule
from databrug.records import DataPackage, Home, Role

ZERO = Decimal(0)


def bank_items(package: DataPackage) -> list[AssetItem]:
    latest: dict[str, AssetItem] = {}
    for subject in package.subjects:
        for balance in sorted(subject.assets.bank_balances, key=lambda b: b.reference_date):
            latest[balance.iban] = AssetItem(
                role=subject.role,
                category="bank",
                label=balance.bank or "bank",
                amount=balance.balance,
                counted_amount=balance.balance,
                reason="bank_balance",
                source_ref=balance.source_ref,
            )
    return list(latest.values())


def home_equity_items(package: DataPackage, rule: HomeEquityRule, exemption: Decimal) -> list[AssetItem]:
    owned: dict[str, tuple[Role, Home]] = {}
    for subject in package.subjects:
        for home in subject.assets.homes:
            if home.relation == "tenant" or not home.woz_values:
                continue
            key = home.woz_object_id or repr(home.address)
            owned.setdefault(key, (subject.role, home))
    mortgages = [m for s in package.subjects for m in s.assets.mortgages]
    last_year = max((m.year for m in mortgages), default=None)
    debt = sum((m.debt_at_start_of_year for m in mortgages if m.year == last_year), start=ZERO)
    items: list[AssetItem] = []
    for index, (role, home) in enumerate(owned.values()):
        woz = max(home.woz_values, key=lambda v: v.reference_date).value
        equity = woz - (debt if index == 0 else ZERO)  # the mortgage belongs to the (first) main residence
        positive = max(equity, ZERO)
        if index > 0:
            counted, reason = positive, "second_home_counted"
        elif rule == "exempt":
            counted, reason = ZERO, "main_residence_exempt"
        elif rule == "above_exemption":
            counted, reason = max(ZERO, positive - exemption), "equity_above_exemption"
        else:
            counted, reason = positive, "equity_counted"
        items.append(
            AssetItem(
                role=role,
                category="home_equity",
                label=home.address.city or "woning",
                amount=equity,
                counted_amount=counted,
                reason=reason,
                source_ref=home.source_ref,
            )
        )
    return items


def vehicle_items(package: DataPackage) -> list[AssetItem]:
    return [
        AssetItem(
            role=subject.role,
            category="vehicle",
            label=vehicle.make,
            amount=None,
            counted_amount=ZERO,
            reason="vehicle_not_valued",
            source_ref=vehicle.source_ref,
        )
        for subject in package.subjects
        for vehicle in subject.assets.vehicles
    ]
