"""The token's format: `amcp_` and 256 random bits, hashed at rest."""

from __future__ import annotations

import base64
import hashlib

from authz_mcp.tokens.secret import SECRET_BYTES, is_well_formed, new_token, token_hash


def test_token_carries_256_random_bits_after_the_prefix() -> None:
    token = new_token()

    assert token.startswith("amcp_")
    assert len(base64.urlsafe_b64decode(token.removeprefix("amcp_") + "=")) == SECRET_BYTES == 32


def test_tokens_never_repeat() -> None:
    assert len({new_token() for _ in range(1000)}) == 1000


def test_new_tokens_are_well_formed_and_others_are_not() -> None:
    token = new_token()

    assert is_well_formed(token)
    assert not is_well_formed(token[:-1])
    assert not is_well_formed(token + "A")
    assert not is_well_formed("amcp_" + "!" * 43)
    assert not is_well_formed("gh_" + token[3:])


def test_hash_is_the_sha256_of_the_whole_token() -> None:
    token = new_token()

    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
