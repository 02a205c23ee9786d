"""Finding the partner the provider may need: from BRP (marriage, partnership) or the fiscal partner."""

from __future__ import annotations

from databrug.records import SourceName, Subject

PARTNER_SOURCES: tuple[SourceName, ...] = ("mijnoverheid", "belastingdienst")
"""The sources ``expected_partner_bsn`` reads: BRP marriages and partnerships, the fiscal partner."""


def expected_partner_bsn(applicant: Subject) -> str | None:
    """The BSN of the applicant's current partner, if the collected data names one."""
    person = applicant.person
    if person is not None:
        partner = person.current_partner
        if partner is not None and partner.bsn:
            return partner.bsn
    years = sorted(applicant.incomes.tax_years, key=lambda year: year.year, reverse=True)
    for year in years:
        if year.fiscal_partner_bsn:
            return year.fiscal_partner_bsn
    return None
