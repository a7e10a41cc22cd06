"""Query expansions: words people use for what tool names and descriptions call otherwise.

Empty until measured; see bench/search.py.
"""

from __future__ import annotations

from collections.abc import Mapping

SYNONYMS: Mapping[str, tuple[str, ...]] = {}
