"""Aggregated names: `<prefix><separator><name>`, at most 64 characters (DESIGN §5)."""

from __future__ import annotations

import hashlib

MAX_NAME_LENGTH = 64
_HASH_LENGTH = 8


def exposed_name(prefix: str, name: str) -> str:
    """The name a client sees for an upstream's tool or prompt.

    Longer names are shortened deterministically: the head is kept and a hash
    of the full name is appended, so the same upstream name always maps to the
    same exposed name and two long names that share a head still differ.
    """
    full = f"{prefix}{name}"
    if len(full) <= MAX_NAME_LENGTH:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:_HASH_LENGTH]
    return f"{full[: MAX_NAME_LENGTH - _HASH_LENGTH - 1]}-{digest}"
