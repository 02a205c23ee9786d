"""Every text the provider pages show exists in Dutch and in English."""

from __future__ import annotations

import re
from datetime import date
from importlib import resources

from tests.support.provider_packages import package_for

from databrug.eligibility import Declaration, assess
from databrug.provider_demo.cases import DECISION_REASONS, STATUSES
from databrug.provider_demo.municipality_settings import MunicipalitySettings
from databrug.provider_demo.web.i18n import catalogue
from databrug_sandbox.personas.catalogue import CATALOGUE

STATIC_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_]+)["']""")


def _templates() -> str:
    root = resources.files("databrug.provider_demo.web").joinpath("templates")
    texts = []
    for folder in (root, root / "public", root / "backoffice"):
        texts += [f.read_text("utf-8") for f in folder.iterdir() if f.name.endswith(".html")]
    return "\n".join(texts)


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    nl, en = catalogue("nl"), catalogue("en")
    assert set(nl) == set(en)
    for key in nl:
        assert set(re.findall(r"{(\w+)}", nl[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_every_key_the_templates_use_exists() -> None:
    used = {k for k in STATIC_KEY.findall(_templates()) if not k.endswith("_")}  # "x_" ~ code: prefixes
    assert len(used) > 150
    assert used - set(catalogue("nl")) == set()


def test_every_code_the_advice_can_show_has_a_text() -> None:
    nl = catalogue("nl")
    needed = {f"status.{s}" for s in STATUSES} | {f"decision_reason.{r}" for r in DECISION_REASONS}
    needed |= {f"advice.{o}" for o in ("grant", "reject", "investigate")}
    needed |= {f"apply.error_{f}" for f in ("municipality", "name", "email", "phone", "children", "consent")}
    needed |= {f"settings.home_{r}" for r in ("exempt", "above_exemption", "counted")}
    needed |= {f"settings.timing_{t}" for t in ("before", "after")}
    settings = [
        MunicipalitySettings(),
        MunicipalitySettings(home_equity_rule="exempt"),
        MunicipalitySettings(home_equity_rule="counted"),
    ]
    for household in CATALOGUE.values():
        for partner in (True, False):
            package = package_for(household, with_partner=partner)
            for setting in settings:
                advice = assess(package, Declaration(partner=True, children=1), setting, date(2027, 3, 1))
                needed |= {f"reason.{r.code}" for r in advice.reasons}
                needed |= {f"kind.{advice.household.kind}"}
                for person in advice.persons:
                    needed |= {f"why.{i.reason}" for i in person.items}
                    needed |= {f"category.{i.category}" for i in person.items}
                needed |= {f"why.{a.reason}" for a in advice.asset_test.items}
                needed |= {f"asset.{a.category}" for a in advice.asset_test.items}
    assert needed - set(nl) == set()
