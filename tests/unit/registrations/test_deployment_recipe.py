"""The Kubernetes recipe in docs/deployment.md ships the provider registry as a Secret, not a ConfigMap."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

DEPLOYMENT = Path(__file__).parents[3] / "docs" / "deployment.md"


def recipe() -> list[dict[str, Any]]:
    blocks = re.findall(r"```yaml\n(.*?)```", DEPLOYMENT.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [doc for block in blocks for doc in yaml.safe_load_all(block) if isinstance(doc, dict)]


def test_the_provider_registry_is_a_secret_mounted_from_a_secret() -> None:
    documents = recipe()
    holders = [d for d in documents if "providers.json" in {**d.get("data", {}), **d.get("stringData", {})}]
    assert [(d["kind"], d["metadata"]["name"]) for d in holders] == [("Secret", "databrug-providers")]
    [broker] = [
        d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "databrug-broker"
    ]
    volumes = broker["spec"]["template"]["spec"]["volumes"]
    [providers] = [v for v in volumes if v["name"] == "providers"]
    assert providers["secret"]["secretName"] == "databrug-providers"
    assert "configMap" not in providers
