"""A partner declared on the application form goes to the broker with the session (issue 15): the app then
asks for the partner even when the government data name none."""

from __future__ import annotations

from typing import Any

from tests.unit.provider_demo.test_cases_and_intake import _application, world  # noqa: F401 - a fixture

from databrug.sdk import CreatedSession


def test_the_declared_partner_goes_to_the_broker_with_the_session(world: Any) -> None:  # noqa: F811
    cases, _, broker, _ = world
    sent: list[bool] = []
    create = broker.create_session

    def recording(*args: Any, partner_expected: bool = False, **kwargs: Any) -> CreatedSession:
        sent.append(partner_expected)
        created: CreatedSession = create(*args, partner_expected=partner_expected, **kwargs)
        return created

    broker.create_session = recording
    cases.apply(_application(partner=True))
    cases.apply(_application(partner=False, email="tweede@example.nl"))
    assert sent == [True, False]
