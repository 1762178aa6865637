"""One HTTP exchange with someone else's server, and what its answer means for a retry.

``send`` never raises for a network failure: it returns a ``Reply`` whose
``status`` is None when nothing came back (timeout, refused, reset). A reply is

* ``ok``: 2xx;
* ``transient``: no answer, 408, 425, 429 or 5xx. Try again later, no sooner than
  ``retry_after`` seconds when the server said so (``Retry-After``: seconds, as
  Shopify sends ``2.0``, or an HTTP date, RFC 9110 section 10.2.3);
* otherwise permanent: a 4xx (the request is wrong, the credentials are, or the
  thing does not exist) or a 3xx (a misconfigured URL: redirects are not followed,
  they would carry credentials to another host). Sending it again cannot succeed
  until a person changes something.

``problem`` is the human-readable failure text with the server's own error
message in it (scrubbed of secrets), for the dead-letter queue and the console.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from omnialloc.edge.secrets import Redactor

TRANSIENT_4XX = frozenset({408, 425, 429})
_PROBLEM_MAX = 500
USER_AGENT = "omnialloc/0.1 (+https://github.com/omnialloc/omnialloc)"


@dataclass(frozen=True)
class Timeouts:
    """Explicit per-phase limits (seconds) for every outbound call: a slow server never hangs a worker."""

    connect: float = 5.0
    read: float = 20.0
    write: float = 20.0
    pool: float = 5.0

    def __post_init__(self) -> None:
        for name in ("connect", "read", "write", "pool"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 300:
                raise ValueError(f"timeout {name} must be a number of seconds in (0, 300], got {value!r}")

    @classmethod
    def all(cls, seconds: float) -> Timeouts:
        return cls(connect=seconds, read=seconds, write=seconds, pool=seconds)

    def for_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


def make_client(timeouts: Timeouts | None = None, **kwargs: Any) -> httpx.Client:
    """An httpx client that never follows redirects and always has explicit timeouts."""
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    return httpx.Client(timeout=(timeouts or Timeouts()).for_httpx(), follow_redirects=False, headers=headers,
                        **kwargs)


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, what: str, *, allow_insecure: bool = False) -> str:
    """``url`` as a base for requests, without its trailing slash; ValueError saying what is wrong.

    HTTPS is required: credentials travel in headers. Plain HTTP is accepted for a
    loopback host (a server on the same machine, as in tests) or when
    ``allow_insecure`` says the operator chose it.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"{what}: a base URL is required")
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL as exc:
        raise ValueError(f"{what}: {url!r} is not a URL ({exc})") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise ValueError(f"{what}: {url!r} must be an https:// URL with a host")
    if parsed.scheme == "http" and not (allow_insecure or is_loopback(parsed.host)):
        raise ValueError(f"{what}: {url!r} must use https:// (credentials would travel in clear text)")
    if parsed.userinfo:
        raise ValueError(f"{what}: put credentials in their own settings, not in the URL")
    if parsed.query or parsed.fragment:
        raise ValueError(f"{what}: {url!r} must not carry a query string or fragment")
    return str(parsed).rstrip("/")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or HTTP-date); None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _flatten(value: Any) -> list[str]:
    if value is None or value == "" or value == [] or value == {}:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _flatten(item)]
    if isinstance(value, dict):
        said = value.get("message") or value.get("detail")
        if isinstance(said, str) and said.strip():   # an error object: its message, with its code if any
            code = value.get("code")
            return [f"{said} ({code})" if isinstance(code, str) and code else said]
        out = []
        for key, inner in value.items():
            for text in _flatten(inner):
                out.append(text if key in ("base", "message", "detail") else f"{key}: {text}")
        return out
    return [str(value)]


def error_text(body: bytes, content_type: str = "") -> str:
    """The server's own words from an error body, in the shapes shops and carriers use.

    Shopify: ``{"errors": "Not Found"}``, ``{"errors": ["..."]}``, ``{"errors": {"field": ["..."]}}``,
    ``{"error": "..."}``; WooCommerce / WordPress: ``{"code": "...", "message": "...", "data": {...}}``;
    common APIs: ``message``, ``detail``, ``error_description``. Anything else: the text itself, collapsed.
    """
    text = body.decode("utf-8", errors="replace")
    data: Any = None
    if "json" in content_type.lower() or text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
    parts: list[str] = []
    if isinstance(data, dict):
        for key in ("errors", "error", "message", "detail", "error_description", "remarks", "rmk"):
            parts += _flatten(data.get(key))
        if data.get("code") and parts and isinstance(data["code"], str):
            parts[0] = f"{parts[0]} ({data['code']})"
    elif isinstance(data, list):
        parts = _flatten(data)
    found = "; ".join(dict.fromkeys(p.strip() for p in parts if p and p.strip()))
    if not found:
        found = " ".join(text.split())
    return found[:_PROBLEM_MAX]


@dataclass(frozen=True)
class Reply:
    """What came back from one request (``status`` None: nothing did)."""

    status: int | None
    body: bytes = b""
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    retry_after: float | None = None
    problem: str = ""
    timed_out: bool = False
    next_url: str | None = None      # RFC 8288 ``Link: <...>; rel="next"`` (Shopify paging)
    refused: bool = False            # never sent: refused here (a link to another origin); permanent

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def transient(self) -> bool:
        if self.refused:
            return False
        return self.status is None or self.status in TRANSIENT_4XX or self.status >= 500

    def json(self) -> Any:
        """The parsed body, or None when it is not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def holds(self, key: str | None, kind: type) -> bool:
        """Whether the body is JSON with a ``kind`` (dict, list) value under ``key`` (or is one, for None)."""
        data = self.json()
        if key is not None:
            data = data.get(key) if isinstance(data, dict) else None
        return isinstance(data, kind)

    def obj(self, key: str | None = None) -> dict[str, Any]:
        """The body's JSON object (or the object under ``key``); {} when the answer is not shaped so."""
        data = self.json()
        if key is not None:
            data = data.get(key) if isinstance(data, dict) else None
        return data if isinstance(data, dict) else {}

    def items(self, key: str | None = None) -> list[dict[str, Any]]:
        """The objects in the body's JSON list (or in the list under ``key``); anything else left out."""
        data = self.json()
        if key is not None:
            data = data.get(key) if isinstance(data, dict) else None
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def send(client: httpx.Client, method: str, url: str, *, what: str, redactor: Redactor | None = None,
         clock: Callable[[], datetime] | None = None, **kwargs: Any) -> Reply:
    """Make one request; classify instead of raising. ``what`` names the other side in problem texts."""
    scrub = (redactor or Redactor()).scrub
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        return Reply(None, problem=scrub(f"{what} did not answer in time ({type(exc).__name__})"), timed_out=True)
    except httpx.TransportError as exc:
        return Reply(None, problem=scrub(f"{what} could not be reached ({type(exc).__name__}: {exc})"))
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"), clock() if clock else None)
    next_link = response.links.get("next", {}).get("url")
    if 200 <= status < 300:
        return Reply(status, response.content, response.headers, retry_after, next_url=next_link)
    if 300 <= status < 400:
        where = response.headers.get("Location", "?")
        problem = f"{what} answered HTTP {status} redirecting to {where}: not followed (check the configured URL)"
    else:
        problem = f"{what} answered HTTP {status}: {error_text(response.content, response.headers.get('Content-Type', ''))}"
    return Reply(status, response.content, response.headers, retry_after, scrub(problem)[:_PROBLEM_MAX],
                 next_url=next_link)


class Endpoint:
    """One server's base URL, the headers and query parameters that authenticate, and a client.

    ``call`` takes a path relative to the base, or an absolute URL the server handed
    out (a paging link) as long as it is on the same origin: credentials never go
    to another host.
    """

    def __init__(self, base_url: str, *, what: str, client: httpx.Client, headers: dict[str, str] | None = None,
                 params: dict[str, str] | None = None, redactor: Redactor | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.base_url = base_url.rstrip("/")
        self.what = what
        self.client = client
        self.headers = {"Accept": "application/json", **(headers or {})}
        self.params = dict(params or {})
        self.redactor = redactor or Redactor()
        self.clock = clock
        self._origin = httpx.URL(self.base_url).copy_with(path="/", query=None, fragment=None)

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            target = httpx.URL(path_or_url)
            if target.copy_with(path="/", query=None, fragment=None) != self._origin:
                raise ValueError(f"{self.what}: refusing to follow a link to another origin ({target.host})")
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def call(self, method: str, path_or_url: str, *, params: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None, **kwargs: Any) -> Reply:
        try:
            url = self.url(path_or_url)
        except ValueError as exc:
            return Reply(None, problem=str(exc), refused=True)
        merged = {**(params or {}), **self.params} if (params or self.params) else None
        return send(self.client, method, url, what=self.what, redactor=self.redactor, clock=self.clock,
                    headers={**self.headers, **(headers or {})}, params=merged, **kwargs)
