"""Pensions as Mijnpensioenoverzicht shows them: AOW, the schemes, partner and orphan pensions."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from databrug.records import Age, PensionScheme, StatePension, SurvivorPension
from databrug_sandbox.personas.figures import AOW_SINGLE_YEAR, AOW_TOGETHER_YEAR, year_figure
from databrug_sandbox.personas.lexicon import lexicon
from databrug_sandbox.personas.model import SANDBOX_REF
from databrug_sandbox.personas.people import age_on

FRANCHISE = Decimal("18475")
ACCRUAL_RATE = Decimal("0.0175")
DIVORCE_SETTLEMENT = "Verevend bij scheiding"


def aow_age(born: date) -> Age:
    """AOW age by birth year (rounded to the cohorts the law has fixed so far)."""
    if born.year <= 1954:
        return Age(years=66, months=4)
    if born.year == 1955:
        return Age(years=66, months=7)
    if born.year == 1956:
        return Age(years=66, months=10)
    if born.year <= 1960:
        return Age(years=67, months=0)
    return Age(years=67, months=3)


def reaches(born: date, age: Age) -> date:
    index = born.year * 12 + born.month - 1 + age.years * 12 + age.months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(born.day, 28))


def whole(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1))


def state_pension(born: date, reference: date, insured_from_age: int) -> StatePension:
    """AOW builds up 2% a year during the 50 years before the AOW age, while living in the Netherlands."""
    start = aow_age(born)
    insured_start = max(start.years - 50, insured_from_age)
    years_total = Decimal(start.years - insured_start)
    years_so_far = Decimal(min(max(age_on(born, reference) - insured_start, 0), int(years_total)))
    single = year_figure(AOW_SINGLE_YEAR, reference.year)
    together = year_figure(AOW_TOGETHER_YEAR, reference.year)
    projected_share = years_total / 50
    accrued_share = years_so_far / 50
    return StatePension(
        source_ref=SANDBOX_REF,
        start_age=start,
        as_of=reference,
        accrued_single=whole(single * accrued_share),
        projected_single=whole(single * projected_share),
        accrued_together=whole(together * accrued_share),
        projected_together=whole(together * projected_share),
    )


@dataclass(frozen=True)
class Employment:
    """A job that builds pension: its provider, its start and (yearly) salary."""

    provider: str
    start: date
    end: date | None
    yearly_salary: Decimal


def scheme_id(rng: random.Random) -> str:
    return f"{rng.randrange(10**9, 10**10)}-{rng.randrange(1, 10)}"


def schemes(
    rng: random.Random,
    born: date,
    reference: date,
    jobs: list[Employment],
    count: int,
    indicative: int,
    retired: bool,
    divorced: bool,
) -> list[PensionScheme]:
    """``count`` schemes (``indicative`` of them DC), each with a different provider."""
    words = lexicon()
    as_of = date(reference.year, 1, 1)
    age_now = age_on(born, reference)
    result: list[PensionScheme] = []
    used: list[str] = []
    guaranteed_count = count - indicative
    for job in jobs[:guaranteed_count]:
        if job.provider in used or words.provider(job.provider).kind != "guaranteed":
            continue
        used.append(job.provider)
        result.append(_job_scheme(rng, born, reference, job, as_of, retired))
    guaranteed = [p.name for p in words.pension_providers if p.kind == "guaranteed" and p.name not in used]
    dc = [p.name for p in words.pension_providers if p.kind == "indicative" and p.name not in used]
    # A DC employer (e.g. BeFrank) counts as one of the indicative schemes.
    for job in jobs:
        if job.provider in dc and indicative > 0 and len(result) < count:
            dc.remove(job.provider)
            indicative -= 1
            used.append(job.provider)
            result.append(_dc_scheme(rng, job.provider, as_of, age_now, retired, born))
    for provider in rng.sample(guaranteed, max(0, min(len(guaranteed), count - indicative - len(result)))):
        result.append(_dormant_scheme(rng, provider, born, as_of, age_now, retired))
    for provider in rng.sample(dc, max(0, min(len(dc), indicative))):
        result.append(_dc_scheme(rng, provider, as_of, age_now, retired, born))
    if divorced and result:
        biggest = max(range(len(result)), key=lambda i: result[i].projected_yearly or 0)
        result[biggest] = result[biggest].model_copy(update={"divorce_settlement": DIVORCE_SETTLEMENT})
    # The order Mijnpensioenoverzicht lists them in: by start age, guaranteed before indicative.
    return sorted(result, key=lambda s: (_age_key(s.start_age), _KIND_ORDER[s.kind]))


_KIND_ORDER = {"guaranteed": 0, "indicative": 1, "single_person_supplement": 2}


def _age_key(age: Age | None) -> tuple[int, int]:
    return (age.years, age.months) if age is not None else (999, 0)


def _job_scheme(
    rng: random.Random, born: date, reference: date, job: Employment, as_of: date, retired: bool
) -> PensionScheme:
    pensionable = max(job.yearly_salary - FRANCHISE, Decimal(0))
    end = job.end or as_of
    years_done = Decimal(max((end - job.start).days, 0)) / Decimal("365.25")
    accrued = pensionable * ACCRUAL_RATE * years_done + rng.randint(0, 600)
    start_age = Age(years=68) if born.year >= 1965 else aow_age(born)
    if retired:
        start_age = Age(years=65)
    retirement = reaches(born, start_age)
    years_to_go = Decimal(0)
    if job.end is None and not retired and retirement > reference:
        years_to_go = Decimal((retirement - reference).days) / Decimal("365.25")
    projected = accrued + pensionable * ACCRUAL_RATE * years_to_go
    return PensionScheme(
        source_ref=SANDBOX_REF,
        provider=job.provider,
        scheme_id=scheme_id(rng),
        kind="guaranteed",
        accrued_yearly=whole(accrued),
        projected_yearly=whole(projected),
        start_age=start_age,
        as_of=as_of,
    )


def _dormant_scheme(
    rng: random.Random, provider: str, born: date, as_of: date, age_now: int, retired: bool
) -> PensionScheme:
    # Small pots from earlier jobs; before 2014 the standard retirement age in schemes was 65.
    amount = Decimal(rng.randint(180, 3600 if age_now > 40 else 1400))
    start_age = rng.choice((Age(years=65), aow_age(born), Age(years=67))) if not retired else Age(years=65)
    return PensionScheme(
        source_ref=SANDBOX_REF,
        provider=provider,
        scheme_id=scheme_id(rng),
        kind="guaranteed",
        accrued_yearly=amount,
        projected_yearly=amount,
        start_age=start_age,
        as_of=as_of,
    )


def _dc_scheme(
    rng: random.Random, provider: str, as_of: date, age_now: int, retired: bool, born: date
) -> PensionScheme:
    accrued = Decimal(rng.randint(150, 2400))
    growth = Decimal(1) if retired else Decimal(max(68 - age_now, 1)) / Decimal(12) + 1
    return PensionScheme(
        source_ref=SANDBOX_REF,
        provider=provider,
        scheme_id=scheme_id(rng),
        kind="indicative",
        accrued_yearly=accrued,
        projected_yearly=whole(accrued * growth),
        start_age=Age(years=65) if retired else Age(years=68),
        as_of=as_of,
    )


def survivor_pensions(
    rng: random.Random, own: list[PensionScheme], has_partner: bool, children_at_home: int
) -> list[SurvivorPension]:
    guaranteed = [s for s in own if s.kind == "guaranteed" and s.projected_yearly]
    if not guaranteed:
        return []
    main = max(guaranteed, key=lambda s: s.projected_yearly or 0)
    projected = main.projected_yearly or Decimal(0)
    accrued = main.accrued_yearly or Decimal(0)
    result: list[SurvivorPension] = []
    if has_partner:
        result.append(
            SurvivorPension(
                source_ref=SANDBOX_REF,
                beneficiary="partner",
                provider=main.provider,
                scheme_id=main.scheme_id,
                insured_amount=whole(projected * Decimal("0.70")),
                accrued_amount=whole(accrued * Decimal("0.70")),
                as_of=main.as_of,
            )
        )
    if children_at_home:
        result.append(
            SurvivorPension(
                source_ref=SANDBOX_REF,
                beneficiary="orphan",
                provider=main.provider,
                scheme_id=main.scheme_id,
                insured_amount=whole(projected * Decimal("0.14")),
                accrued_amount=whole(accrued * Decimal("0.14")),
                per_child=True,
                as_of=main.as_of,
            )
        )
    return result
