"""The registry file: providers as JSON on the broker's disk (no personal data; secrets hashed)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from databrug.errors import CodedError
from databrug.registrations.model import ProviderRegistration


class UnknownProvider(CodedError, KeyError):
    """No provider has this id; still a ``KeyError`` for callers that look an id up."""

    code = "provider_unknown"

    def __init__(self, provider_id: str) -> None:
        super().__init__("this provider is not registered")
        self.args = (provider_id,)  # KeyError's text stays the id (a provider's, not a person's), as before


class ProviderRegistry:
    def __init__(self, providers: list[ProviderRegistration] | None = None) -> None:
        self._by_id = {p.id: p for p in providers or []}

    def get(self, provider_id: str) -> ProviderRegistration:
        try:
            return self._by_id[provider_id]
        except KeyError:
            raise UnknownProvider(provider_id) from None

    def find(self, provider_id: str) -> ProviderRegistration | None:
        return self._by_id.get(provider_id)

    def all(self) -> list[ProviderRegistration]:
        return sorted(self._by_id.values(), key=lambda p: p.id)

    def put(self, provider: ProviderRegistration) -> None:
        self._by_id[provider.id] = provider

    def remove(self, provider_id: str) -> None:
        self._by_id.pop(provider_id, None)

    @classmethod
    def load(cls, path: Path) -> ProviderRegistry:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls([ProviderRegistration.model_validate(item) for item in data.get("providers", [])])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {"providers": [p.model_dump(mode="json") for p in self.all()]}
        # Write-then-rename, so a broker reading the file never sees half of it.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".providers-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
