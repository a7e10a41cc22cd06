"""The one canonical form of a resource URI, decided on by the policy and sent upstream.

RFC 3986 §6.2.2 syntax-based normalisation: the scheme and host in lower case (§6.2.2.1),
percent-encodings of unreserved characters decoded and every other escape in upper-case hex
(§6.2.2.2), and dot segments removed as in §5.2.4 (§6.2.2.3). Characters that may not stand
raw in a URI (space, non-ASCII...) are percent-encoded as UTF-8 (RFC 3987 §3.1), so a URI and
its IRI spelling are one.

Servers do not all read a path the same way: many percent-decode it and then resolve dot
segments, or take `\\` for `/`, or drop `;` parameters. A URI whose meaning depends on that
order cannot be made canonical without guessing, so it is refused: an encoded `/` or `\\` in
a path segment, an encoded dot segment, `;` parameters in a path that has dot segments, an
empty path segment, a raw `\\`, control characters raw or encoded, and invalid escapes.

With `template=True` the `{...}` expressions of an RFC 6570 URI template are kept verbatim
and the literal text around them is made canonical the same way.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

from authz_mcp.errors import AuthzMcpError

_SCHEME_CHARS: Final = frozenset(string.ascii_letters + string.digits + "+-.")
_UNRESERVED: Final = frozenset(string.ascii_letters + string.digits + "-._~")
_RESERVED: Final = frozenset(":/?#[]@!$&'()*+,;=")
_HEX: Final = frozenset(string.hexdigits)
_DOTS: Final = frozenset({".", ".."})


@dataclass(frozen=True, slots=True)
class UriRefusal:
    """A URI that has no one canonical form; `reason` is for the audit log, not the client."""

    reason: str

    def __str__(self) -> str:
        return f"uri refused: {self.reason}"


class _Refused(AuthzMcpError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def canonical_uri(uri: str, *, template: bool = False) -> str | UriRefusal:
    """The canonical form of `uri`, or why it has none."""
    try:
        return _canonical(uri, template)
    except _Refused as refused:
        return UriRefusal(refused.reason)


def canonical_object(obj: str) -> str | UriRefusal:
    """A policy object (DESIGN §4) with its resource URI in canonical form; objects of other
    kinds, and patterns (`*`), as they are. A URI template keeps its expressions."""
    upstream, sep, uri = obj.partition("/resources/")
    if not sep or "/" in upstream or "*" in obj:
        return obj
    canonical = canonical_uri(uri, template=True)
    return canonical if isinstance(canonical, UriRefusal) else f"{upstream}/resources/{canonical}"


def _canonical(uri: str, template: bool) -> str:
    if any(_is_control(char) for char in uri):
        raise _Refused("control character")
    scheme, colon, rest = uri.partition(":")
    if not colon or not scheme or not scheme[0].isalpha() or not set(scheme) <= _SCHEME_CHARS:
        raise _Refused("not an absolute URI")
    rest, fragment = _cut(rest, "#", template)
    rest, query = _cut(rest, "?", template)
    authority: str | None = None
    path = rest
    if rest.startswith("//"):
        end = _find(rest, "/", template, start=2)
        authority, path = rest[2:end], rest[end:]
    if "\\" in path or (authority is not None and "\\" in authority):
        raise _Refused("raw '\\' in the path")
    parts = [scheme.lower(), ":"]
    if authority is not None:
        parts += ["//", _authority(authority, template)]
    parts.append(_path(path, template, has_authority=authority is not None))
    if query is not None:
        parts += ["?", _component(query, template, in_path=False)]
    if fragment is not None:
        parts += ["#", _component(fragment, template, in_path=False)]
    return "".join(parts)


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def _find(text: str, char: str, template: bool, start: int = 0) -> int:
    """Index of the first `char` outside template expressions, or len(text)."""
    depth = 0
    for index in range(start, len(text)):
        current = text[index]
        if template and current == "{":
            depth += 1
        elif template and current == "}":
            depth = max(depth - 1, 0)
        elif current == char and depth == 0:
            return index
    return len(text)


def _cut(text: str, char: str, template: bool) -> tuple[str, str | None]:
    index = _find(text, char, template)
    if index == len(text):
        return text, None
    return text[:index], text[index + 1 :]


def _split(text: str, char: str, template: bool) -> list[str]:
    pieces = []
    start = 0
    while True:
        index = _find(text, char, template, start)
        pieces.append(text[start:index])
        if index == len(text):
            return pieces
        start = index + 1


def _authority(authority: str, template: bool) -> str:
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        end = hostport.find("]") + 1
        if end == 0:
            raise _Refused("unclosed IP literal")
        host, port = hostport[:end], hostport[end:]
    else:
        colon = _find(hostport, ":", template)
        host, port = hostport[:colon], hostport[colon:]
    # RFC 3986 §6.2.3: "normalizers should omit the port component and its ':' delimiter if
    # port is empty".
    port = "" if port == ":" else _component(port, template, in_path=False)
    user = _component(userinfo, template, in_path=False) + at if at else ""
    return user + _lower_outside_escapes(_component(host, template, in_path=False)) + port


def _lower_outside_escapes(text: str) -> str:
    """§6.2.2.1: the host is case-insensitive, but hex digits of escapes stay upper case."""
    out = []
    index = 0
    while index < len(text):
        if text[index] == "%":
            out.append(text[index : index + 3])
            index += 3
        else:
            out.append(text[index].lower())
            index += 1
    return "".join(out)


def _path(path: str, template: bool, *, has_authority: bool) -> str:
    segments = []
    dots = params = False
    for raw in _split(path, "/", template):
        segment = _component(raw, template, in_path=True)
        decoded = unquote(segment)
        if segment in _DOTS and raw != segment:
            raise _Refused("encoded dot segment")
        if ";" in decoded and decoded.partition(";")[0] in _DOTS:
            raise _Refused("dot segment with path parameters")
        dots = dots or segment in _DOTS
        params = params or ";" in decoded
        segments.append(segment)
    if dots and params:
        raise _Refused("path parameters beside dot segments")
    resolved = remove_dot_segments("/".join(segments))
    inner = resolved[1:] if resolved.startswith("/") else resolved
    if "" in _split(inner, "/", template)[:-1] and (has_authority or resolved.startswith("/")):
        raise _Refused("empty path segment")
    return resolved


def _component(text: str, template: bool, *, in_path: bool) -> str:
    """§6.2.2.2 on one component: decode unreserved escapes, upper-case the others."""
    out: list[str] = []
    index = 0
    depth = 0
    while index < len(text):
        char = text[index]
        if template and (char == "{" or depth):
            depth += (char == "{") - (char == "}")
            out.append(char)
            index += 1
            continue
        if template and char == "}":
            raise _Refused("unbalanced template expression")
        if char == "%":
            out.append(_escape(text[index + 1 : index + 3], in_path=in_path))
            index += 3
            continue
        out.append(char if char in _UNRESERVED or char in _RESERVED else _encode(char))
        index += 1
    if depth:
        raise _Refused("unbalanced template expression")
    return "".join(out)


def _escape(digits: str, *, in_path: bool) -> str:
    if len(digits) != 2 or not set(digits) <= _HEX:
        raise _Refused("invalid percent escape")
    char = chr(int(digits, 16))
    if _is_control(char) and ord(char) < 0x80:
        raise _Refused("encoded control character")
    if char in _UNRESERVED:
        return char
    if in_path and char in "/\\":
        raise _Refused(f"encoded {char!r} in a path segment")
    return "%" + digits.upper()


def _encode(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, step by step."""
    source = path
    output: list[str] = []
    while source:
        if source.startswith("../"):
            source = source[3:]
        elif source.startswith("./") or source.startswith("/./"):
            source = source[2:]
        elif source == "/.":
            source = "/"
        elif source.startswith("/../"):
            source = source[3:]
            if output:
                output.pop()
        elif source == "/..":
            source = "/"
            if output:
                output.pop()
        elif source in _DOTS:
            source = ""
        else:
            start = 1 if source.startswith("/") else 0
            end = source.find("/", start)
            end = len(source) if end == -1 else end
            output.append(source[:end])
            source = source[end:]
    return "".join(output)
