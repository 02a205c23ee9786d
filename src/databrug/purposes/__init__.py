"""Published purpose templates (docs/purposes.md): what a provider may ask for under one purpose, enforced
when a provider registers and when a session is created, and applied to the data (``bounded_subject``).

Framework-free: pydantic and YAML only."""

from databrug.purposes.bounding import HistoryRequest, bounded_subject, first_kept_year, months_before
from databrug.purposes.catalogue import all_templates, purpose_templates, purposes_document, template
from databrug.purposes.checks import check_registration, check_request
from databrug.purposes.errors import PurposeError, PurposeExceeded, PurposeNotRegistered, PurposeUnknown
from databrug.purposes.model import (
    DROPPABLE_FIELDS,
    RECORD_KINDS,
    KindRule,
    ParameterBound,
    PurposeTemplate,
    RecordKind,
    TemplateRule,
)

__all__ = [
    "DROPPABLE_FIELDS",
    "RECORD_KINDS",
    "HistoryRequest",
    "KindRule",
    "ParameterBound",
    "PurposeError",
    "PurposeExceeded",
    "PurposeNotRegistered",
    "PurposeTemplate",
    "PurposeUnknown",
    "RecordKind",
    "TemplateRule",
    "all_templates",
    "bounded_subject",
    "check_registration",
    "check_request",
    "first_kept_year",
    "months_before",
    "purpose_templates",
    "purposes_document",
    "template",
]
