"""What a request must be before a view acts on it, checked in this order (issue 20):

1. transport, on every request (``check_transport``, the first hook): a request target
   (path and query) over ``MAX_TARGET_BYTES`` is 414; more than ``MAX_HEADER_FIELDS``
   header fields, or one (name and value) over ``MAX_HEADER_FIELD_BYTES``, is 431.
   The server in front (gunicorn: ``api.serving``) lets larger ones through to here, so
   the answer is the app's, in the one error shape;
2. routing: an unknown path is 404, a known path with another method 405;
3. authentication, in the view: 401 before anything of the body is looked at;
4. the body, when the view reads it (:class:`ApiRequest`): larger than the configured
   limit 413; a non-empty body that is not ``application/json`` (or ``+json``) in UTF-8
   is 415; not JSON (malformed, a byte order mark, NaN) 400; nested deeper than
   ``MAX_JSON_DEPTH``, a key twice in one object, a NUL character, or not an object 422;
   no body at all is 400 (send ``{}`` for "no fields");
5. the query string when the view reads it: a NUL character is 422.
"""

from __future__ import annotations

from flask import Request, request
from werkzeug.utils import cached_property

from omnialloc.api import strict_json
from omnialloc.domain.errors import DomainError, FieldError, ValidationFailed

MAX_TARGET_BYTES = 4096          # path + query; the longest the API gives out (a cursor, filters) is < 1 KiB
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8192    # one header's name and value
MAX_JSON_DEPTH = 32              # the deepest body the API takes (a dry-run's rules' actions) is < 10


class MalformedBody(DomainError):
    title = "Bad request"


class UnsupportedMediaType(DomainError):
    title = "Unsupported media type"


class UriTooLong(DomainError):
    title = "URI too long"


class HeadersTooLarge(DomainError):
    title = "Request header fields too large"


def check_transport() -> None:
    """Before routing and authentication: the request line and the headers are within the app's limits."""
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    size = len(target) if target is not None else len(request.full_path.encode())
    if size > MAX_TARGET_BYTES:
        raise UriTooLong(f"the request target (path and query) is {size:,} bytes, more than the limit of "
                         f"{MAX_TARGET_BYTES:,}; send long data in a body", field_errors=[FieldError(
                             "url", f"at most {MAX_TARGET_BYTES} bytes")])
    headers = request.headers
    if len(headers) > MAX_HEADER_FIELDS:
        raise HeadersTooLarge(f"{len(headers)} header fields, more than the limit of {MAX_HEADER_FIELDS}",
                              field_errors=[FieldError("headers", f"at most {MAX_HEADER_FIELDS} fields")])
    for name, value in headers.items():
        if len(name) + len(value) > MAX_HEADER_FIELD_BYTES:
            raise HeadersTooLarge(f"the {name} header is longer than the limit of {MAX_HEADER_FIELD_BYTES:,} bytes",
                                  field_errors=[FieldError(f"header.{name}",
                                                           f"at most {MAX_HEADER_FIELD_BYTES} bytes")])


_UNREAD = object()


class ApiRequest(Request):
    """Flask's request with the body read by :func:`read_json` and the query string checked for NUL."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        # ``force`` is ignored on purpose: APIFlask passes force=True, which would read a text/plain body.
        value = self.__dict__.get("_omnialloc_json", _UNREAD)
        if value is _UNREAD:
            try:
                value = read_json(self)
            except DomainError as exc:
                value = exc
            self.__dict__["_omnialloc_json"] = value
        if isinstance(value, DomainError):
            if silent:
                return None
            raise value
        return value

    @cached_property
    def _checked_args(self):
        args = Request.args.__get__(self)
        bad = [f"query.{k}" for k, v in args.items(multi=True) if "\x00" in k or "\x00" in v]
        if bad:
            return ValidationFailed("NUL (U+0000) characters are not accepted", field_errors=[
                FieldError(f, "must not contain NUL (U+0000) characters") for f in bad])
        return args

    @property
    def args(self):
        args = self._checked_args
        if isinstance(args, DomainError):
            raise args
        return args


def read_json(req: Request):
    """The body as a JSON object, or the DomainError saying why not."""
    raw = req.get_data(cache=True)  # over MAX_CONTENT_LENGTH: werkzeug's 413
    if not raw.strip():
        raise MalformedBody("the request body is missing: send a JSON object with Content-Type: application/json",
                            field_errors=[FieldError("body", "required")])
    mimetype = req.mimetype
    if not is_json(mimetype):
        sent = f"Content-Type {mimetype}" if mimetype else "no Content-Type"
        raise UnsupportedMediaType(f"the body was sent with {sent}; send JSON with Content-Type: application/json",
                                   field_errors=[FieldError("header.Content-Type", "must be application/json")])
    charset = req.mimetype_params.get("charset")
    if charset and charset.lower().replace("-", "") != "utf8":
        raise UnsupportedMediaType(f"the body is declared as {charset}; JSON is UTF-8 (RFC 8259)",
                                   field_errors=[FieldError("header.Content-Type", "charset must be utf-8")])
    value = parse_json(raw)
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
            type(value), "null")
        message = f"the request body must be a JSON object, not {kind}"
        raise ValidationFailed(f"body: {message}", field_errors=[FieldError("body", message)])
    return value


def is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def parse_json(raw: bytes):
    """:func:`strict_json.loads` with the API's depth limit, its failures as DomainErrors (400 / 422)."""
    try:
        return strict_json.loads(raw, max_depth=MAX_JSON_DEPTH)
    except strict_json.NotJSON as exc:
        raise MalformedBody(str(exc), field_errors=[FieldError("body", "not valid JSON")]) from None
    except strict_json.Unacceptable as exc:
        raise ValidationFailed(f"{exc.field}: {exc}", field_errors=[FieldError(exc.field, str(exc))]) from None
