"""JSON types shared by every layer (the JSON edge where `Any` is allowed)."""

from __future__ import annotations

from typing import Any

JSONObject = dict[str, Any]
RequestId = str | int
