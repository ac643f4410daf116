"""Reach: every request, each redirect hop included, stays on the allowed hosts and ports and off non-public
addresses, unless allowed. Refusals happen before any connection: the hostile server's request log and Python's
socket.connect audit events show that nothing was sent."""

from __future__ import annotations

import sys

import pytest

from newsmon.fetch import Fetcher, Politeness, Reach
from newsmon.sources import load_registry

METADATA = "169.254.169.254"
_connects: list[tuple] = []


def _record_connects(event: str, args: tuple) -> None:
    if event == "socket.connect":
        _connects.append(args[1])


sys.addaudithook(_record_connects)  # audit hooks cannot be removed: this one only appends to a list


def fetcher(**options) -> Fetcher:
    return Fetcher(user_agent="newsmon-tests", timeout=5.0, retries=0, politeness=Politeness(2, 0.0), **options)


def connects_to(host: str) -> list:
    return [address for address in _connects if isinstance(address, tuple) and address[0] == host]


@pytest.mark.fault(
    "SSRF: a page on an allowed host redirecting to another host",
    "the hop is refused before it is requested; the item fails as off-site",
)
def test_a_redirect_to_another_host_is_refused_before_it_is_requested(server):
    target = f"http://127.0.0.1:{server.port}/ok"  # the same server under another name: off the allowed hosts
    with fetcher(allow_private=["127.0.0.0/8"]) as f:
        result = f.get(f"http://localhost:{server.port}/redirect?to={target}",
                       allow=Reach(frozenset({f"localhost:{server.port}"})))
    assert result.refused and not result.ok
    assert result.error == f"refused: redirected: {target} is outside the allowed hosts"
    assert server.paths == [f"/redirect?to={target}"]  # the redirect only; /ok never asked for


@pytest.mark.fault(
    "SSRF: an allowed host name on another port",
    "refused: only default ports unless listed",
)
def test_an_allowed_host_on_another_port_is_refused(server):
    url = f"http://127.0.0.1:{server.port}/ok"
    with fetcher(allow_private=["127.0.0.0/8"]) as f:
        refused = f.get(url, allow=Reach(frozenset({"127.0.0.1"})))  # the default port only
        listed = f.get(url, allow=Reach(frozenset({f"127.0.0.1:{server.port}"})))
    assert refused.refused and "outside the allowed hosts" in (refused.error or "")
    assert listed.ok and listed.content
    assert server.paths == ["/ok"]  # the listed port's request only


@pytest.mark.fault(
    "SSRF: a redirect to the link-local metadata address 169.254.169.254",
    "refused after resolving, before any connection",
)
def test_a_redirect_to_the_metadata_address_is_refused_without_a_packet(server):
    redirect = f"http://localhost:{server.port}/redirect?to=http://{METADATA}/latest/meta-data/"
    allowed_everywhere = Reach(frozenset({f"localhost:{server.port}", METADATA}))  # so the address check decides
    with fetcher(allow_private=["127.0.0.0/8"]) as f:
        result = f.get(redirect, allow=allowed_everywhere)
    assert result.refused
    assert result.error == f"refused: {METADATA} resolves to a non-public address ({METADATA}): not requested"
    assert connects_to(METADATA) == []
    assert len(server.paths) == 1


@pytest.mark.fault(
    "SSRF: a host name resolving to loopback",
    "refused unless the source allows private addresses by configuration",
)
def test_loopback_is_refused_unless_allowed(server):
    url = f"http://localhost:{server.port}/ok"
    with fetcher() as f:
        refused = f.get(url)
    with fetcher(allow_private=["127.0.0.0/8", "::1/128"]) as f:
        allowed = f.get(url)
    assert refused.refused and "non-public address" in (refused.error or "")
    assert allowed.ok
    assert server.paths == ["/ok"]


@pytest.mark.fault(
    "links with other schemes (ftp, file) or malformed ports",
    "refused with a reason",
)
@pytest.mark.parametrize("url", ["ftp://localhost/ok", "http://localhost:notaport/ok", "file:///etc/passwd"])
def test_reach_refuses_other_schemes_and_bad_ports(url):
    assert Reach(frozenset({"localhost"})).refusal(url)


@pytest.mark.fault(
    "under replay, a redirect off the replay site",
    "refused like any other off-site hop",
)
def test_under_replay_a_redirect_off_the_site_stays_on_the_replay_site(server):
    """The replay site stands for every host; a redirect to the metadata address is asked of the replay site."""
    with fetcher(replay_base=f"http://127.0.0.1:{server.port}", allow_private=["127.0.0.0/8"]) as f:
        result = f.get(f"https://news.example/redirect?to=http://{METADATA}/ok")
    assert result.ok and result.final_url == f"http://{METADATA}/ok"
    assert server.paths == ["/news.example/redirect?to=http://169.254.169.254/ok", f"/{METADATA}/ok"]
    assert connects_to(METADATA) == []


@pytest.mark.fault(
    "a feed declared on a non-default port",
    "that port is allowed for that source only; politeness stays keyed on the host",
)
def test_a_feed_on_another_port_allows_that_port_and_keeps_its_politeness(tmp_path):
    registry_file = tmp_path / "sources.toml"
    registry_file.write_text('[sources.local]\nparser = "zaobao"\nfeeds = ["http://feeds.test:8080/rss"]\n'
                             "politeness = { concurrency = 1, delay_seconds = 3.0 }\n", encoding="utf-8")
    registry = load_registry(registry_file)
    source = registry.sources["local"]
    assert source.allows("http://feeds.test:8080/news/1")
    assert not source.allows("http://feeds.test/news/1")  # the default port is not listed
    assert registry.host_politeness()["feeds.test"] == Politeness(1, 3.0)  # gates are per host name
