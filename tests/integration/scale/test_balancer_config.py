"""The balancer in front of the brokers, as the scale-out script writes it and as docs/deployment.md gives it:
its access log holds no query string (page tokens ``?t=``, DigiD codes ``?code=``), and the brokers trust it,
and only it, for the client's address."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.scale_out import BALANCER_ADDRESS, LOG_FORMAT, nginx_config

from databrug.config import Settings

DEPLOYMENT = Path(__file__).parents[3] / "docs" / "deployment.md"
LOG_FORMAT_LINE = re.compile(r"(?:log_format\s+\w+|log-format-upstream:)\s+((?:'[^']*'\s*)+)")
"""nginx's ``log_format NAME 'part' 'part';``, or ingress-nginx's ``log-format-upstream: '…'``."""
WITH_QUERY = re.compile(r"\$(request|request_uri|args|query_string|is_args|http_referer)\b|\$arg_\w+")
"""nginx variables that hold the query string: the request line, the URI as sent, the arguments (one by one
too), and the referring page's address."""


def formats(config: str) -> list[str]:
    found = ["".join(re.findall(r"'([^']*)'", match)) for match in LOG_FORMAT_LINE.findall(config)]
    assert found, "no log_format in the configuration"
    return found


def test_the_forbidden_variables_are_recognised() -> None:
    for leaky in ("$request", "$request_uri", "$args", "$query_string", "$arg_t", "$http_referer"):
        assert WITH_QUERY.search(f"$remote_addr {leaky} $status"), leaky
    assert not WITH_QUERY.search("$request_method $uri $request_time $status")


def test_the_scale_out_balancer_logs_no_query_string(tmp_path: Path) -> None:
    config = nginx_config(tmp_path, lb_port=1, idp_port=2, brokers=[3, 4], sandbox_port=5)
    assert formats(config) == [LOG_FORMAT]
    assert "$uri" in LOG_FORMAT
    assert not WITH_QUERY.search(LOG_FORMAT)
    for line in config.splitlines():
        if line.strip().startswith("access_log"):
            assert " timed " in line  # every access log uses that format, none nginx's default "combined"


def test_the_deployment_guide_gives_a_log_format_without_query_strings() -> None:
    text = DEPLOYMENT.read_text(encoding="utf-8")
    found_all = formats(text)
    assert len(found_all) >= 3  # the scale-out script's, a plain nginx, ingress-nginx
    for found in found_all:
        assert "$uri" in found
        assert not WITH_QUERY.search(found), found


def test_the_balancer_adds_the_client_address_the_brokers_then_trust(tmp_path: Path) -> None:
    """nginx appends the address it saw to X-Forwarded-For (a client's own entries stay to its left), and the
    brokers take the nearest address not of a trusted proxy: the one nginx added."""
    config = nginx_config(tmp_path, lb_port=1, idp_port=2, brokers=[3], sandbox_port=5)
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in config
    assert Settings(trusted_proxies=BALANCER_ADDRESS).trusted_proxy_networks() == ("127.0.0.1",)
    assert "DATABRUG_TRUSTED_PROXIES" in DEPLOYMENT.read_text(encoding="utf-8")
