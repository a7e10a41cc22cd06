"""The canonical form of resource URIs (RFC 3986 §6.2.2), and the URIs that have none."""

from __future__ import annotations

import pytest

from authz_mcp.policy import UriRefusal, canonical_object, canonical_uri
from authz_mcp.policy.uri import remove_dot_segments

CANARY = "files://root/pub/internal/canary.txt"

UNCHANGED = [
    "files://root/pub/readme.txt",
    "files://root/pub/docs/",
    "files://root/pub/internal/canary.txt",
    "demo://docs/readme",
    "demo://finance/payroll",
    "file:///srv/docs/a.txt",
    "file:///srv/My%20Docs/a.txt",
    "https://example.com/a/b?x=1&y=2#frag",
    "https://example.com/search?q=a%2Fb",
    "https://example.com/?redirect=..%2F..%2Fetc",
    "https://user:pw@example.com:8443/x",
    "http://[::1]:8080/mcp",
    "http://[fe80::1%2525eth0]/x",
    "http://127.0.0.1/x",
    "urn:isbn:0451450523",
    "urn:ISBN:0451450523",
    "mailto:someone@example.com",
    "db://prod/table/users;v=1",
    "x-custom+scheme.v2://host/a~b_c-d.e",
    "git://host/repo/a%20b",
    "s3://bucket",
    "https://example.com/a/b/",
    "https://example.com/Case/Sensitive/PATH",
]


@pytest.mark.parametrize("uri", UNCHANGED)
def test_a_canonical_uri_is_its_own_canonical_form(uri: str) -> None:
    assert canonical_uri(uri) == uri


CANONICALISED = [
    # The walk-arounds that a canonical form closes: each lands on the denied file itself.
    ("files://root/pub/./internal/canary.txt", CANARY),
    ("files://root/pub/x/../internal/canary.txt", CANARY),
    ("files://root/pub/%69nternal/canary.txt", CANARY),
    ("files://root/pub/%69%6E%74%65%72%6E%61%6C/canary.txt", CANARY),
    ("files://root/pub/../pub/internal/canary.txt", CANARY),
    ("files://root/pub/a/b/../../internal/./canary.txt", CANARY),
    ("FILES://root/pub/internal/canary.txt", CANARY),
    ("Files://ROOT/pub/internal/canary.txt", CANARY),
    ("files://Root/pub/./internal/canary.txt", CANARY),
    # Permitted aliases of a public file.
    ("files://root/pub/./readme.txt", "files://root/pub/readme.txt"),
    ("FILES://root/pub/%72eadme.txt", "files://root/pub/readme.txt"),
    ("files://root/pub/%72%65%61%64%6d%65.txt", "files://root/pub/readme.txt"),
    ("files://root/pub/docs/../readme.txt", "files://root/pub/readme.txt"),
    # §6.2.2.1/6.2.2.2: case of scheme and host, hex case, unreserved escapes.
    ("HTTP://EXAMPLE.COM/A", "http://example.com/A"),
    ("http://Ex%41mple.com/", "http://example.com/"),
    ("http://example.com/a%7eb", "http://example.com/a~b"),
    ("http://example.com/a%2db%2Ec%5f", "http://example.com/a-b.c_"),
    ("http://example.com/a%3ab", "http://example.com/a%3Ab"),
    ("http://example.com/?q=%7e%3d%2f", "http://example.com/?q=~%3D%2F"),
    ("http://example.com/#%41%3f", "http://example.com/#A%3F"),
    ("http://US%45R@example.com/", "http://USER@example.com/"),
    # IPv6 literals are hex: case-insensitive. An empty port is dropped (§6.2.3).
    ("http://[FE80::AB:1]:8080/x", "http://[fe80::ab:1]:8080/x"),
    ("http://[::1]:/x", "http://[::1]/x"),
    ("http://example.com:/x", "http://example.com/x"),
    # §5.2.4 on its own.
    ("http://example.com/a/b/c/./../../g", "http://example.com/a/g"),
    ("http://example.com/../../x", "http://example.com/x"),
    ("http://example.com/a/..", "http://example.com/"),
    ("http://example.com/a/.", "http://example.com/a/"),
    ("x://h/a/b/../../../c", "x://h/c"),
    ("urn:a/./b/../c", "urn:a/c"),
    # Query and fragment are not paths: dot segments there are data.
    ("http://example.com/x?a=../b#./c", "http://example.com/x?a=../b#./c"),
    # Characters that may not stand raw are encoded as UTF-8 (RFC 3987 §3.1).
    ("file:///srv/My Docs/caf\u00e9.txt", "file:///srv/My%20Docs/caf%C3%A9.txt"),
    ("files://root/pub/caf%c3%a9", "files://root/pub/caf%C3%A9"),
    ("files://root/pub/{x}", "files://root/pub/%7Bx%7D"),
    ('files://root/pub/a"b<c>', "files://root/pub/a%22b%3Cc%3E"),
]


@pytest.mark.parametrize(("uri", "canonical"), CANONICALISED)
def test_aliases_land_on_one_canonical_form(uri: str, canonical: str) -> None:
    assert canonical_uri(uri) == canonical
    assert canonical_uri(canonical) == canonical


REFUSED = [
    # Encoded dot segments: a server may decode before or after resolving.
    ("files://root/pub/x/%2e%2e/internal/canary.txt", "encoded dot segment"),
    ("files://root/pub/x/%2E%2E/internal/canary.txt", "encoded dot segment"),
    ("files://root/pub/x/.%2e/internal/canary.txt", "encoded dot segment"),
    ("files://root/pub/x/%2e./internal/canary.txt", "encoded dot segment"),
    ("files://root/pub/%2E/internal/canary.txt", "encoded dot segment"),
    ("files://root/pub/%2e/internal/canary.txt", "encoded dot segment"),
    # Encoded separators inside a segment.
    ("files://root/pub/internal%2Fcanary.txt", "encoded '/' in a path segment"),
    ("files://root/pub/internal%2fcanary.txt", "encoded '/' in a path segment"),
    ("files://root/pub/x%2F..%2Finternal/canary.txt", "encoded '/' in a path segment"),
    ("files://root/pub/x%5C..%5Cinternal/canary.txt", "encoded '\\\\' in a path segment"),
    ("files://root/pub/x%5c..%5cinternal/canary.txt", "encoded '\\\\' in a path segment"),
    # A raw backslash, which some servers take for '/'.
    ("files://root/pub/x\\..\\internal/canary.txt", "raw '\\' in the path"),
    # `;` path parameters beside or on dot segments.
    ("files://root/pub/;/../internal/canary.txt", "path parameters beside dot segments"),
    ("files://root/pub/x;a/../internal/canary.txt", "path parameters beside dot segments"),
    ("files://root/pub/..;/internal/canary.txt", "dot segment with path parameters"),
    ("files://root/pub/x/..;x=1/internal/canary.txt", "dot segment with path parameters"),
    ("files://root/pub/x/..%3B/internal/canary.txt", "dot segment with path parameters"),
    ("files://root/pub/.;/internal/canary.txt", "dot segment with path parameters"),
    # Empty segments, which many servers collapse.
    ("files://root/pub//internal/canary.txt", "empty path segment"),
    ("files://root/pub/.//internal/canary.txt", "empty path segment"),
    # Control characters, raw or encoded.
    ("files://root/pub/internal/canary.txt%00", "encoded control character"),
    ("files://root/pub/internal/canary.txt%00.png", "encoded control character"),
    ("files://root/pub/a%0ab", "encoded control character"),
    ("files://root/pub/a%0Db", "encoded control character"),
    ("files://root/pub/a%7F", "encoded control character"),
    ("files://root/pub/a?q=%00", "encoded control character"),
    ("files://root/pub/a\x00", "control character"),
    ("files://root/pub/a\nb", "control character"),
    ("files://root/pub/a\tb", "control character"),
    ("files://root/pub/a\x85", "control character"),
    # Invalid escapes.
    ("files://root/pub/a%zz", "invalid percent escape"),
    ("files://root/pub/a%4", "invalid percent escape"),
    ("files://root/pub/a%", "invalid percent escape"),
    ("files://root/pub/a%%41", "invalid percent escape"),
    # Not a URI at all.
    ("internal/canary.txt", "not an absolute URI"),
    ("://root/pub", "not an absolute URI"),
    ("1files://root/pub", "not an absolute URI"),
    ("", "not an absolute URI"),
    ("http://[::1/x", "unclosed IP literal"),
]


@pytest.mark.parametrize(("uri", "reason"), REFUSED)
def test_uris_without_one_canonical_form_are_refused_with_the_reason(uri: str, reason: str) -> None:
    assert canonical_uri(uri) == UriRefusal(reason)


TEMPLATES = [
    ("files://root/pub/{+path}", "files://root/pub/{+path}"),
    ("FILES://Root/pub/{+path}", "files://root/pub/{+path}"),
    ("demo://users/{user_id}/profile", "demo://users/{user_id}/profile"),
    ("https://example.com/search{?q,lang}", "https://example.com/search{?q,lang}"),
    ("https://example.com/files{/path*}{#frag}", "https://example.com/files{/path*}{#frag}"),
    ("https://example.com/%7e{user}/./x", "https://example.com/~{user}/x"),
]


@pytest.mark.parametrize(("template", "canonical"), TEMPLATES)
def test_templates_keep_their_expressions_and_canonicalise_the_rest(template: str, canonical: str) -> None:
    assert canonical_uri(template, template=True) == canonical


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("demo://users/{unclosed", "unbalanced template expression"),
        ("demo://users/unopened}", "unbalanced template expression"),
        ("files://root/pub/%2e%2e/{+path}", "encoded dot segment"),
    ],
)
def test_malformed_templates_are_refused(template: str, reason: str) -> None:
    assert canonical_uri(template, template=True) == UriRefusal(reason)


@pytest.mark.parametrize(
    ("path", "resolved"),
    [
        # RFC 3986 §5.2.4's own examples, and the normal and abnormal cases of §5.4.
        ("/a/b/c/./../../g", "/a/g"),
        ("mid/content=5/../6", "mid/6"),
        ("/b/c/d;p/../g", "/b/c/g"),
        ("/../g", "/g"),
        ("/./g", "/g"),
        ("/g.", "/g."),
        ("/.g", "/.g"),
        ("/g..", "/g.."),
        ("/..g", "/..g"),
        ("/b/c/./../g", "/b/g"),
        ("/b/c/g/./h", "/b/c/g/h"),
        ("/b/c/g/../h", "/b/c/h"),
        ("..", ""),
        (".", ""),
        ("../a", "a"),
        ("", ""),
    ],
)
def test_removes_dot_segments_as_rfc_3986_5_2_4(path: str, resolved: str) -> None:
    assert remove_dot_segments(path) == resolved


@pytest.mark.parametrize(
    ("obj", "canonical"),
    [
        ("vault/resources/files://root/pub/./internal/canary.txt", "vault/resources/" + CANARY),
        ("vault/resources/FILES://root/pub/%72eadme.txt", "vault/resources/files://root/pub/readme.txt"),
        ("vault/resources/FILES://root/pub/{+path}", "vault/resources/files://root/pub/{+path}"),
        ("vault/resources/files://root/pub/./*", "vault/resources/files://root/pub/./*"),
        ("vault/tools/x/../y", "vault/tools/x/../y"),
        ("vault/prompts/greeting", "vault/prompts/greeting"),
        ("vault/resources/x%2Fy://h/%2e%2e", UriRefusal("not an absolute URI")),
        ("vault/resources/files://root/pub/x/%2e%2e/internal/canary.txt", UriRefusal("encoded dot segment")),
    ],
)
def test_policy_objects_name_resources_by_their_canonical_uri(obj: str, canonical: str | UriRefusal) -> None:
    assert canonical_object(obj) == canonical


def test_a_refusal_reads_as_an_audit_reason() -> None:
    assert str(UriRefusal("encoded dot segment")) == "uri refused: encoded dot segment"
