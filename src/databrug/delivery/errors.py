"""Typed errors of delivery. ``code`` is stable, mapped to HTTP only in ``web/``; messages hold no values."""

from __future__ import annotations

from databrug.errors import CodedError


class DeliveryError(CodedError):
    code = "delivery_error"


class ConsentMissing(DeliveryError):
    """A subject in the package has no consent, or the consent was for other data than what is packaged."""

    code = "consent_missing"


class NoEncryptionKey(DeliveryError):
    """The provider's JWKS has no usable encryption key (or not the pinned ``kid``)."""

    code = "no_encryption_key"


class PackageTooLarge(DeliveryError):
    code = "package_too_large"


class ReceiptInvalid(DeliveryError):
    code = "receipt_invalid"
