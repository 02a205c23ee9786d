"""The product's own DigiD client (databrug.identity) against the sandbox IdP: the two must agree."""

from __future__ import annotations

import httpx
import pytest
from tests.support.digid_flow import TEST_REDIRECT_URI, Callback, DigidBrowser

from databrug.identity.errors import AssuranceTooLow, LoginCancelled
from databrug.identity.oidc import DigidClient
from databrug_sandbox.server import SandboxServer


def password_of(sandbox: SandboxServer, username: str) -> str:
    account = sandbox.idp.accounts.find(username)
    assert account is not None
    return account.password


async def walk(sandbox: SandboxServer, url: str, username: str, button: str = "login") -> Callback:
    with DigidBrowser(sandbox.base_url) as browser:
        page = browser.open(url)
        assert isinstance(page, httpx.Response)
        end = browser.submit(page, button, username=username, password=password_of(sandbox, username))
        if isinstance(end, httpx.Response) and 'name="code"' in end.text:
            end = browser.submit(end, "verify", code=browser.sms_code(username))
        elif isinstance(end, httpx.Response):
            end = browser.submit(end, "return")
        assert isinstance(end, Callback)
        return end


async def test_product_client_logs_in_and_its_token_opens_a_portal(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient() as http:
        client = DigidClient(http, f"{sandbox.base_url}/digid", "databrug")
        url, request = await client.start(TEST_REDIRECT_URI)
        callback = await walk(sandbox, url, "test-a")
        login = await client.finish(callback.params, request)
        assert login.level == "midden"
        account = sandbox.idp.accounts.find("test-a")
        assert account is not None
        assert login.bsn == account.bsn
        response = await http.get(
            f"{sandbox.base_url}/mijnoverheid/api/wozobjecten",
            headers={"Authorization": f"Bearer {login.access_token}"},
        )
        assert response.status_code in (200, 404)  # 404: this RvIG person has no WOZ object


async def test_product_client_reports_no_sms_and_cancel(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient() as http:
        client = DigidClient(http, f"{sandbox.base_url}/digid", "databrug")
        url, request = await client.start(TEST_REDIRECT_URI)
        with pytest.raises(AssuranceTooLow):
            await client.finish((await walk(sandbox, url, "test-nosms")).params, request)
        url, request = await client.start(TEST_REDIRECT_URI)
        with pytest.raises(LoginCancelled):
            await client.finish((await walk(sandbox, url, "test-b", button="cancel")).params, request)
