"""The Grafana dashboard and the Prometheus alert rules in docs/monitoring/ are what they claim to be.

The dashboard is decoded with Grafana's own dashboard model (grafana-foundation-sdk, generated from
Grafana's schema) and encoded again: every key we wrote must come back with its value, so none is unknown
to the schema or misplaced, and each panel's queries decode as Prometheus queries. The alert rules are read
as YAML in the structure ``promtool check rules`` expects (promtool is not installed here). That the
queries name only exported families is checked against a real scrape in
tests/integration/provider/test_metrics_scrape.py; here, against the broker's list of families.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models import prometheus
from grafana_foundation_sdk.models.dashboard import Dashboard, Panel

from databrug.metrics import FAMILIES

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "docs" / "monitoring" / "grafana-dashboard.json"
ALERTS = ROOT / "docs" / "monitoring" / "alerts.yml"
SUFFIXES = ("", "_total", "_bucket", "_sum", "_count")
EXPORTED = {family + suffix for family in FAMILIES for suffix in SUFFIXES}
DURATION = re.compile(r"^[0-9]+[smhd]$")

register_default_plugins()  # panel options and queries decode by their plugin's own model


def _encoded(value: Any) -> Any:
    return value.to_json() if hasattr(value, "to_json") else str(value)


def lost_keys(written: Any, decoded: Any, path: str = "") -> list[str]:
    """Where ``written`` has a key or value the decoded-and-encoded dashboard does not give back."""
    if isinstance(written, dict):
        if not isinstance(decoded, dict):
            return [path or "."]
        lost = [f"{path}.{key}" for key in written if key not in decoded]
        return lost + [
            p
            for key in written
            if key in decoded
            for p in lost_keys(written[key], decoded[key], f"{path}.{key}")
        ]
    if isinstance(written, list):
        if not isinstance(decoded, list) or len(written) != len(decoded):
            return [path]
        return [
            p
            for i, (a, b) in enumerate(zip(written, decoded, strict=True))
            for p in lost_keys(a, b, f"{path}[{i}]")
        ]
    return [] if written == decoded else [path]


def round_trip(data: dict[str, Any]) -> list[str]:
    decoded = Dashboard.from_json(copy.deepcopy(data))
    again = json.loads(json.dumps(decoded.to_json(), default=_encoded))
    return lost_keys(data, again)


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def test_the_dashboard_loads_in_grafanas_model_with_nothing_unknown(dashboard: dict[str, Any]) -> None:
    assert round_trip(dashboard) == []
    decoded = Dashboard.from_json(copy.deepcopy(dashboard))
    assert decoded.title == "Databrug broker"
    assert decoded.panels
    assert len(decoded.panels) >= 12
    for panel in decoded.panels:
        assert isinstance(panel, Panel)
        assert panel.targets, panel.title
        assert all(isinstance(t, prometheus.Dataquery) for t in panel.targets), panel.title


def test_a_key_grafana_does_not_know_is_found(dashboard: dict[str, Any]) -> None:
    planted = copy.deepcopy(dashboard)
    planted["panels"][0]["gridpos"] = planted["panels"][0].pop("gridPos")  # misspelt
    assert round_trip(planted) == [".panels[0].gridpos"]
    misplaced = copy.deepcopy(dashboard)
    misplaced["panels"][1]["targets"][0]["query"] = misplaced["panels"][1]["targets"][0].pop("expr")
    assert round_trip(misplaced) == [".panels[1].targets[0].query"]


def test_every_dashboard_query_names_broker_metrics_only(dashboard: dict[str, Any]) -> None:
    names: set[str] = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            found = set(re.findall(r"\bdatabrug_[a-z_]+", target["expr"]))
            assert found, target["expr"]
            names |= found
    assert names <= EXPORTED, names - EXPORTED
    # the dashboard shows every family the issue names
    shown = {n for n in FAMILIES if any(name.startswith(n) for name in names)}
    assert shown == set(FAMILIES)


def _balanced(expr: str) -> bool:
    depth: list[str] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for char in re.sub(r'"[^"]*"', "", expr):
        if char in "([{":
            depth.append(char)
        elif char in pairs and (not depth or depth.pop() != pairs[char]):
            return False
    return not depth


def test_the_alert_rules_have_the_structure_prometheus_loads() -> None:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    assert set(document) == {"groups"}
    [group] = document["groups"]
    assert set(group) == {"name", "rules"}
    assert len(group["rules"]) >= 6
    alerts = [rule["alert"] for rule in group["rules"]]
    assert len(set(alerts)) == len(alerts)
    for rule in group["rules"]:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rule["alert"])
        assert isinstance(rule["expr"], str)
        assert _balanced(rule["expr"]), rule["alert"]
        assert "for" not in rule or DURATION.match(rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket"}
        assert set(rule["annotations"]) == {"summary", "description"}
        names = set(re.findall(r"\bdatabrug_[a-z_]+", rule["expr"]))
        assert names <= EXPORTED, (rule["alert"], names - EXPORTED)
        assert names or "up{" in rule["expr"]


def test_an_unbalanced_expression_is_found() -> None:
    assert _balanced('sum(rate(x{a="("}[5m]))')
    assert not _balanced("sum(rate(x[5m])")
    assert not _balanced("sum(rate(x[5m)])")
