"""The data package model (docs/design.md §5). Pure: imports nothing else of Databrug."""

from databrug.records.asset import Assets, BankBalance, Home, Mortgage, Vehicle, WozValue
from databrug.records.base import Money, Record
from databrug.records.consent import ConsentRecord
from databrug.records.identifiers import is_valid_bsn
from databrug.records.income import (
    UWV_BENEFIT_PAYROLL_NUMBERS,
    Allowance,
    IncomeRelation,
    Incomes,
    TaxYear,
    WagePeriod,
    WageStatement,
)
from databrug.records.package import SCHEMA_VERSION, DataPackage, Document, ProviderRef, Subject
from databrug.records.pension import Age, Pensions, PensionScheme, StatePension, SurvivorPension
from databrug.records.person import Address, FuzzyDate, PartnerLink, Person, PersonName, Relative
from databrug.records.provenance import (
    SOURCE_NAMES,
    BindingCheck,
    DocumentType,
    Role,
    SourceEntry,
    SourceName,
)

__all__ = [
    "SCHEMA_VERSION",
    "SOURCE_NAMES",
    "UWV_BENEFIT_PAYROLL_NUMBERS",
    "Address",
    "Age",
    "Allowance",
    "Assets",
    "BankBalance",
    "BindingCheck",
    "ConsentRecord",
    "DataPackage",
    "Document",
    "DocumentType",
    "FuzzyDate",
    "Home",
    "IncomeRelation",
    "Incomes",
    "Money",
    "Mortgage",
    "PartnerLink",
    "PensionScheme",
    "Pensions",
    "Person",
    "PersonName",
    "ProviderRef",
    "Record",
    "Relative",
    "Role",
    "SourceEntry",
    "SourceName",
    "StatePension",
    "Subject",
    "SurvivorPension",
    "TaxYear",
    "Vehicle",
    "WagePeriod",
    "WageStatement",
    "WozValue",
    "is_valid_bsn",
]
