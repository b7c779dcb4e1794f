"""The fetcher against real HTTP(S) servers on 127.0.0.1 (and ::1 where available).

Nothing here sends traffic anywhere else: tests that must not connect use
:class:`LocalOnlyFetcher`, which keeps the real address policy but never contacts an
address outside this machine even if the policy were to allow it.
"""

from __future__ import annotations

import datetime
import gzip
import ipaddress
import socket
import ssl
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.config import FetchConfig
from retrieval.errors import FetchError, FetchFailure
from retrieval.fetch import (
    FEEDS,
    HTML_AND_TEXT,
    Fetcher,
    IPAddress,
    is_public_address,
)
from tests.web import Exchange, Handler, Page, Route, WebServer, drip, serve

HTML = "<html><head><title>Story</title></head><body><p>Grüße aus Köln.</p></body></html>"
BOMB_SIZE = 100_000_000
MAX_BYTES = 1024 * 1024


def _chunked(exchange: Exchange) -> None:
    exchange.start(200, {"Transfer-Encoding": "chunked"}, "text/plain")
    chunk = b"x" * 65536
    for _ in range(2 * MAX_BYTES // len(chunk)):
        if not exchange.write(b"%x\r\n%s\r\n" % (len(chunk), chunk)):
            return
    exchange.write(b"0\r\n\r\n")


def _etag(exchange: Exchange) -> None:
    if exchange.headers.get("If-None-Match") == '"v1"':
        exchange.respond(304, headers={"ETag": '"v1"'})
    else:
        exchange.respond(200, b"fresh", "text/plain", {"ETag": '"v1"'})


def _redirect(exchange: Exchange) -> None:
    exchange.respond(302, b"", "text/plain", {"Location": exchange.query("to")})


def failing(times: int, how: str, retry_after: str = "0") -> Handler:
    """Fails the first ``times`` requests (with the status ``how`` and its ``Retry-After``,
    or a dropped connection for "reset"), then serves the page."""
    left = [times]

    def handler(exchange: Exchange) -> None:
        if left[0]:
            left[0] -= 1
            if how == "reset":
                exchange.hang_up()
            else:
                exchange.respond(int(how), b"busy", "text/plain", {"Retry-After": retry_after})
            return
        exchange.respond(200, HTML, "text/html; charset=utf-8")

    return handler


PAGES: dict[str, Route] = {
    "/page": Page(HTML),
    "/latin1": Page(HTML.encode("latin-1"), "text/html; charset=ISO-8859-1"),
    "/meta-latin1": Page(b'<meta charset="iso-8859-1"><p>caf\xe9</p>', "text/html"),
    "/gzip": Page(gzip.compress(HTML.encode()), headers={"Content-Encoding": "gzip"}),
    "/deflate": Page(zlib.compress(HTML.encode()), headers={"Content-Encoding": "deflate"}),
    "/bomb": lambda exchange: exchange.send(
        Page(gzip_bomb(), "text/html", headers={"Content-Encoding": "gzip"})
    ),
    "/brotli": Page(b"\x0b\x02\x80hi\x03", "text/html", headers={"Content-Encoding": "br"}),
    "/untyped-html": Page(b"  <html><p>hi</p></html>", None),
    "/untyped-binary": Page(b"\x89PNG\r\n\x1a\n\x00\xff\xfe", None),
    "/image": Page(b"\x89PNG\r\n\x1a\n", "image/png"),
    "/feed": Page(b"<rss></rss>", "application/rss+xml"),
    "/missing": Page(b"no", "text/plain", 404),
    "/always-304": Page(b"", None, 304),
    "/etag": _etag,
    "/declared-large": lambda exchange: exchange.start(
        200, {"Content-Length": str(MAX_BYTES + 1)}, "text/html"
    ),
    "/chunked-large": _chunked,
    "/drip": drip(0.2, 50),
    "/cookie": Page(b"ok", "text/plain", headers={"Set-Cookie": "session=secret; Path=/"}),
    "/redirect": _redirect,
    "/loop": Page(b"", "text/plain", 302, headers={"Location": "/loop"}),
}


def gzip_bomb(_cache: list[bytes] = []) -> bytes:  # noqa: B006 - a deliberate memo
    """100 MB of zeros, gzip-compressed to about 100 kB (built without holding 100 MB)."""
    if not _cache:
        compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        block = bytes(1_000_000)
        parts = [compressor.compress(block) for _ in range(BOMB_SIZE // len(block))]
        _cache.append(b"".join(parts) + compressor.flush())
    return _cache[0]


@pytest.fixture(scope="module")
def module_server() -> Iterator[WebServer]:
    with serve() as server:
        server.pages.update(PAGES)
        yield server


@pytest.fixture()
def server(module_server: WebServer) -> WebServer:
    module_server.requests.clear()
    return module_server


@pytest.fixture(scope="module")
def ipv6_server() -> Iterator[WebServer]:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    with serve("::1") as server:
        server.pages.update(PAGES)
        yield server


def port_of(server: WebServer) -> int:
    return server.port


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def config(**overrides: object) -> FetchConfig:
    values: dict[str, object] = {"allow_private": True, "timeout_s": 5, "max_bytes": MAX_BYTES}
    return FetchConfig(**(values | overrides))


@pytest.fixture()
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(config()) as fetcher:
        yield fetcher


def fetch_error(fetcher: Fetcher, url: str, **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(url, **kwargs)
    return caught.value


class LocalOnlyFetcher(Fetcher):
    """The real address policy, plus a guard that keeps every connection on this machine.

    The ``(ip, port)`` pairs in ``public`` are treated as public sites: that is how a
    loopback server plays the first, harmless hop of a redirect chain. Any other address
    the real policy allows (say a public IP literal produced by hypothesis) is recorded
    in ``allowed_elsewhere`` and refused instead of contacted.
    """

    def __init__(
        self, config: FetchConfig, *args: object, public: tuple[str, int] | None = None, **kwargs: object
    ) -> None:
        super().__init__(config, *args, **kwargs)
        self.public = public
        self.allowed_elsewhere: list[IPAddress] = []

    def _address_allowed(self, address: IPAddress, port: int) -> bool:
        if (str(address), port) == self.public:
            return True
        allowed = super()._address_allowed(address, port)
        if allowed and not address.is_loopback:
            self.allowed_elsewhere.append(address)
            return False
        return allowed


def strict(resolver: Callable[[str, int], list[str]] | None = None, **kwargs: object) -> LocalOnlyFetcher:
    return LocalOnlyFetcher(config(allow_private=False), resolver, **kwargs)


# --- Fetching ---------------------------------------------------------------------------------


def test_fetches_an_html_page(server: WebServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(server.url("/page"))
    assert page.url == server.url("/page")
    assert page.status == 200
    assert page.content_type == "text/html"
    assert page.encoding == "utf-8"
    assert page.text() == HTML
    assert page.headers["content-length"] == str(len(HTML.encode()))


def test_sends_identifying_headers(server: WebServer, fetcher: Fetcher) -> None:
    fetcher.fetch(server.url("/page"))
    headers = server.requests[0].headers
    assert headers["User-Agent"] == FetchConfig().user_agent
    assert headers["Accept-Encoding"] == "gzip, deflate"
    assert "text/html" in headers["Accept"]
    assert headers["Host"] == server.base_url.removeprefix("http://")


def test_decodes_a_latin1_page(server: WebServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(server.url("/latin1"))
    assert page.encoding == "iso-8859-1"
    assert page.text() == HTML


def test_decodes_a_charset_from_the_meta_tag(server: WebServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(server.url("/meta-latin1"))
    assert page.encoding is None
    assert "café" in page.text()


@pytest.mark.parametrize("path", ["/gzip", "/deflate"])
def test_decompresses(server: WebServer, fetcher: Fetcher, path: str) -> None:
    assert fetcher.fetch(server.url(path)).text() == HTML


def test_one_fetcher_serves_many_threads(server: WebServer, fetcher: Fetcher) -> None:
    with ThreadPoolExecutor(8) as pool:
        texts = list(pool.map(lambda _: fetcher.fetch(server.url("/page")).text(), range(32)))
    assert texts == [HTML] * 32


def test_sniffs_a_missing_content_type(server: WebServer, fetcher: Fetcher) -> None:
    assert fetcher.fetch(server.url("/untyped-html")).content_type == "text/html"
    error = fetch_error(fetcher, server.url("/untyped-binary"))
    assert error.reason is FetchFailure.UNSUPPORTED_TYPE


def test_connects_to_the_resolved_address_but_keeps_the_host_name(server: WebServer) -> None:
    names: list[tuple[str, int]] = []

    def resolver(host: str, port: int) -> list[str]:
        names.append((host, port))
        return ["127.0.0.1"]

    port = port_of(server)
    with Fetcher(config(), resolver) as fetcher:
        page = fetcher.fetch(f"http://news.test:{port}/page")
    assert page.url == f"http://news.test:{port}/page"
    assert names == [("news.test", port)]
    assert server.requests[0].headers["Host"] == f"news.test:{port}"


def test_assumes_https_without_a_scheme(server: WebServer, fetcher: Fetcher) -> None:
    # The plain-HTTP server can't speak TLS: the failed handshake proves https was assumed.
    error = fetch_error(fetcher, server.base_url.removeprefix("http://") + "/page")
    assert str(error) == "I couldn't establish a secure connection to 127.0.0.1."


def test_accept_can_be_widened_per_call(server: WebServer, fetcher: Fetcher) -> None:
    error = fetch_error(fetcher, server.url("/feed"))
    assert error.reason is FetchFailure.UNSUPPORTED_TYPE
    assert str(error) == "That link leads to a feed (application/rss+xml), not an article."
    page = fetcher.fetch(server.url("/feed"), accept=HTML_AND_TEXT | FEEDS)
    assert page.content_type == "application/rss+xml"


def test_keeps_no_cookies(server: WebServer, fetcher: Fetcher) -> None:
    fetcher.fetch(server.url("/cookie"))
    fetcher.fetch(server.url("/page"))
    assert "Cookie" not in server.requests[1].headers


# --- Redirects --------------------------------------------------------------------------------


@pytest.mark.parametrize("absolute", [False, True])
def test_follows_redirects(server: WebServer, fetcher: Fetcher, absolute: bool) -> None:
    to = server.url("/page") if absolute else "/page"
    start = server.url(f"/redirect?to={to}")
    page = fetcher.fetch(start)
    assert page.url == server.url("/page")
    assert page.text() == HTML
    assert server.paths == [f"/redirect?to={to}", "/page"]


def test_redirect_loop_stops(server: WebServer) -> None:
    with Fetcher(config(max_redirects=3)) as fetcher:
        error = fetch_error(fetcher, server.url("/loop"))
    assert error.reason is FetchFailure.TOO_MANY_REDIRECTS
    assert str(error) == "The page redirected more than 3 times."
    assert len(server.requests) == 4


def test_redirect_to_another_scheme_is_refused(server: WebServer, fetcher: Fetcher) -> None:
    error = fetch_error(fetcher, server.url("/redirect?to=file:///etc/passwd"))
    assert error.reason is FetchFailure.INVALID_URL


# --- Statuses and types -----------------------------------------------------------------------


def test_error_status(server: WebServer, fetcher: Fetcher) -> None:
    error = fetch_error(fetcher, server.url("/missing"))
    assert error.reason is FetchFailure.HTTP_STATUS
    assert str(error) == "The site answered 404 Not Found."


def test_not_modified_is_a_page_when_asked_for(server: WebServer, fetcher: Fetcher) -> None:
    fresh = fetcher.fetch(server.url("/etag"))
    assert (fresh.status, fresh.content, fresh.headers["etag"]) == (200, b"fresh", '"v1"')
    page = fetcher.fetch(server.url("/etag"), headers={"If-None-Match": fresh.headers["etag"]})
    assert (page.status, page.content) == (304, b"")


def test_unrequested_not_modified_is_an_error(server: WebServer, fetcher: Fetcher) -> None:
    assert fetch_error(fetcher, server.url("/always-304")).reason is FetchFailure.HTTP_STATUS


def test_image_is_refused(server: WebServer, fetcher: Fetcher) -> None:
    error = fetch_error(fetcher, server.url("/image"))
    assert error.reason is FetchFailure.UNSUPPORTED_TYPE
    assert str(error) == "That link leads to an image (image/png), not an article."


def test_unrequested_content_encoding_is_refused(server: WebServer, fetcher: Fetcher) -> None:
    assert fetch_error(fetcher, server.url("/brotli")).reason is FetchFailure.UNSUPPORTED_TYPE


# --- Limits -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/declared-large", "/chunked-large"])
def test_body_too_large(server: WebServer, fetcher: Fetcher, path: str) -> None:
    error = fetch_error(fetcher, server.url(path))
    assert error.reason is FetchFailure.TOO_LARGE
    assert str(error) == "The page is larger than 1 MB."


def test_gzip_bomb_is_refused_without_inflating_it(server: WebServer, fetcher: Fetcher) -> None:
    gzip_bomb()  # built before measuring
    tracemalloc.start()
    try:
        error = fetch_error(fetcher, server.url("/bomb"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.reason is FetchFailure.TOO_LARGE
    assert peak < 10 * MAX_BYTES


def test_slow_drip_hits_the_total_deadline(server: WebServer) -> None:
    """A byte every 0.2 s never trips a read timeout: only a deadline for the whole fetch
    ends it, long before the 10 s the page takes."""
    with Fetcher(config(timeout_s=1)) as fetcher:
        error = fetch_error(fetcher, server.url("/drip"))
    assert error.reason is FetchFailure.TIMEOUT
    assert str(error) == "The page took longer than 1 second to answer."
    [request] = server.wait_for_requests(1, lambda request: request.finished)
    assert request.hung_up and request.sent < 25, f"the fetcher read {request.sent} of the 50 bytes"


def test_connection_refused(fetcher: Fetcher) -> None:
    error = fetch_error(fetcher, f"http://127.0.0.1:{closed_port()}/")
    assert error.reason is FetchFailure.CONNECTION
    assert str(error) == "I couldn't connect to 127.0.0.1."


def test_unresolvable_host() -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with Fetcher(config(), resolver) as fetcher:
        error = fetch_error(fetcher, "https://nowhere.test/")
    assert error.reason is FetchFailure.UNRESOLVABLE
    assert str(error) == "I couldn't find the site nowhere.test."


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "",
        "http://",
        "http://user:pw@example.org/",
        "http://exa mple.org/",
        "//example.org/",
        "http://[::1/",
    ],
)
def test_invalid_urls(fetcher: Fetcher, url: str) -> None:
    assert fetch_error(fetcher, url).reason is FetchFailure.INVALID_URL


# --- SSRF -------------------------------------------------------------------------------------

LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "localhost",
    "2130706433",
    "0x7f.0.0.1",
    "0x7f.1",
    "127.1",
    "[::ffff:127.0.0.1]",
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_loopback_spellings_are_refused(server: WebServer, host: str) -> None:
    with strict() as fetcher:
        error = fetch_error(fetcher, f"http://{host}:{port_of(server)}/page")
    assert error.reason is FetchFailure.REFUSED_ADDRESS
    assert str(error) == "That address points to a private network, so I won't fetch it."
    assert server.requests == []
    assert fetcher.allowed_elsewhere == []


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_loopback_spellings_do_reach_the_server_when_allowed(server: WebServer, host: str) -> None:
    """The control for the test above: each spelling really does lead to the server."""
    with Fetcher(config()) as fetcher:
        assert fetcher.fetch(f"http://{host}:{port_of(server)}/page").text() == HTML
    assert server.paths == ["/page"]


def test_octal_ipv4_is_not_a_valid_url(server: WebServer) -> None:
    # httpx rejects 0177.0.0.1 (a browser would read 127.0.0.1), so it can't be sent anywhere.
    with strict() as fetcher:
        error = fetch_error(fetcher, f"http://0177.0.0.1:{port_of(server)}/page")
    assert error.reason is FetchFailure.INVALID_URL
    assert server.requests == []


def test_ipv6_loopback_is_refused(ipv6_server: WebServer) -> None:
    ipv6_server.requests.clear()
    with Fetcher(config()) as fetcher:
        assert fetcher.fetch(ipv6_server.url("/page")).status == 200
    ipv6_server.requests.clear()
    with strict() as fetcher:
        assert fetch_error(fetcher, ipv6_server.url("/page")).reason is FetchFailure.REFUSED_ADDRESS
    assert ipv6_server.requests == []


@pytest.mark.parametrize("answer", ["127.0.0.1", "169.254.169.254", "::ffff:127.0.0.1", "10.0.0.7"])
def test_names_resolving_to_private_addresses_are_refused(server: WebServer, answer: str) -> None:
    with strict(lambda host, port: [answer]) as fetcher:
        error = fetch_error(fetcher, f"http://news.example.com:{port_of(server)}/page")
    assert error.reason is FetchFailure.REFUSED_ADDRESS
    assert server.requests == []
    assert fetcher.allowed_elsewhere == []


@pytest.mark.parametrize("answers", [["127.0.0.1", "127.0.0.2"], ["127.0.0.2", "127.0.0.1"]])
def test_one_private_address_among_public_ones_refuses_the_name(
    server: WebServer, answers: list[str]
) -> None:
    """127.0.0.1 plays the public address, so a wrong policy could only reach the local server."""
    public = ("127.0.0.1", port_of(server))
    with strict(lambda host, port: answers, public=public) as fetcher:
        error = fetch_error(fetcher, f"http://news.example.com:{port_of(server)}/page")
    assert error.reason is FetchFailure.REFUSED_ADDRESS
    assert server.requests == []


def test_cloud_metadata_address_is_refused() -> None:
    with strict() as fetcher:
        error = fetch_error(fetcher, "http://169.254.169.254/latest/meta-data/")
    assert error.reason is FetchFailure.REFUSED_ADDRESS
    assert fetcher.allowed_elsewhere == []


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/page",
        "http://localhost:{port}/page",
        "http://[::ffff:127.0.0.1]:{port}/page",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_redirect_to_a_private_address_is_refused_before_it_is_sent(
    server: WebServer, web: WebServer, target: str
) -> None:
    """public.test is the loopback server playing a public site; the second hop must not happen."""
    public = ("127.0.0.1", port_of(server))
    resolver = {"public.test": ["127.0.0.1"], "localhost": ["127.0.0.1"]}.get
    with strict(lambda host, port: resolver(host, []), public=public) as fetcher:
        to = target.format(port=port_of(web))
        error = fetch_error(fetcher, f"http://public.test:{port_of(server)}/redirect?to={to}")
    assert error.reason is FetchFailure.REFUSED_ADDRESS
    assert server.paths == [f"/redirect?to={to}"]
    assert web.requests == []
    assert fetcher.allowed_elsewhere == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("fc00::1", False),
        ("fe80::1", False),
        ("fec0::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:c0a8:101::", False),  # 6to4 of 192.168.1.1
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("2001:0:4136:e378::1", False),  # Teredo
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


# --- Property ---------------------------------------------------------------------------------

URLISH = st.builds(
    "{}{}{}{}".format,
    st.sampled_from(["http://", "https://", "HTTP://", "", "//", "ftp://", "http:", "http:///"]),
    st.one_of(
        st.sampled_from([*LOOPBACK_SPELLINGS, "0177.0.0.1", "[::1]", "user@127.0.0.1"]), st.text(max_size=20)
    ),
    st.sampled_from([":{port}", "", ":", ":99999"]),
    st.text(max_size=20),
)


@pytest.fixture(scope="module")
def local_resolving_fetcher() -> Iterator[LocalOnlyFetcher]:
    with strict(lambda host, port: ["127.0.0.1"]) as fetcher:
        yield fetcher


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), URLISH))
def test_random_input_only_raises_fetch_error_and_stays_off_the_network(
    module_server: WebServer, local_resolving_fetcher: LocalOnlyFetcher, text: str
) -> None:
    before = len(module_server.requests)
    with pytest.raises(FetchError):
        local_resolving_fetcher.fetch(text.replace("{port}", str(port_of(module_server))))
    assert len(module_server.requests) == before
    assert all(is_public_address(a) for a in local_resolving_fetcher.allowed_elsewhere)


# --- HTTPS: connect to the IP, verify the name ------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext, list[str]]:
    """(server context, client context trusting a fresh CA, SNI names the server saw)."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def certificate(
        name: str,
        key: ec.EllipticCurvePrivateKey,
        issuer: x509.Name,
        signer: ec.EllipticCurvePrivateKey,
        ca: bool,
    ) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Briefbot test CA")])
    ca = certificate("Briefbot test CA", ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = certificate("news.test", key, ca_name, ca_key, ca=False)

    folder: Path = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    seen: list[str] = []
    server_context.sni_callback = lambda sock, name, context: seen.append(name)
    client_context = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return server_context, client_context, seen


def test_https_connects_to_the_ip_and_verifies_the_host_name(
    tls: tuple[ssl.SSLContext, ssl.SSLContext, list[str]],
) -> None:
    server_context, client_context, seen = tls
    with serve("127.0.0.1", server_context) as server:
        server.pages.update(PAGES)
        port = port_of(server)
        resolver = {"news.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]}.get
        with Fetcher(config(), lambda host, _: resolver(host, []), ssl_context=client_context) as f:
            page = f.fetch(f"news.test:{port}/page")
            assert page.url == f"https://news.test:{port}/page"
            assert page.text() == HTML
            assert seen == ["news.test"]
            assert server.requests[0].headers["Host"] == f"news.test:{port}"

            error = fetch_error(f, f"https://other.test:{port}/page")
            assert error.reason is FetchFailure.CONNECTION
            assert str(error) == "I couldn't establish a secure connection to other.test."
            assert len(server.requests) == 1


@pytest.mark.parametrize("how", ["503", "502", "429", "reset"])
def test_passing_failures_are_retried(web: WebServer, how: str) -> None:
    web.pages["/flaky"] = failing(1, how)
    page = Fetcher(FetchConfig(allow_private=True, timeout_s=5)).fetch(web.url("/flaky"))
    assert page.status == 200
    assert page.text() == HTML
    assert web.paths == ["/flaky", "/flaky"]


def test_retries_give_up_with_the_last_answer(web: WebServer) -> None:
    web.pages["/flaky"] = failing(99, "503")
    with pytest.raises(FetchError) as raised:
        Fetcher(FetchConfig(allow_private=True, timeout_s=5)).fetch(web.url("/flaky"))
    assert raised.value.reason is FetchFailure.HTTP_STATUS
    assert str(raised.value) == "The site answered 503 Service Unavailable."
    assert [request.status for request in web.requests] == [503, 503, 503]


def test_no_retry_when_the_deadline_is_near(web: WebServer) -> None:
    # The wait the site asks for would end past the deadline; the deadline itself leaves the
    # first request time to arrive on a loaded machine.
    web.pages["/flaky"] = failing(99, "503", retry_after="1")
    with pytest.raises(FetchError) as raised:
        Fetcher(FetchConfig(allow_private=True, timeout_s=1.0)).fetch(web.url("/flaky"))
    assert raised.value.reason is FetchFailure.HTTP_STATUS
    assert len(web.requests) == 1
