"""The policy's lifecycle in a running gateway: reload on file edits, SIGHUP and other
replicas' notices; keep the last good policy when new files are rejected.

The policy core stays pure: everything here that touches files, signals or Redis
ends by handing a freshly built `PolicyEngine` to `Gateway.replace_policy`.
"""

from authz_mcp.reload.lifecycle import policy_lifecycle
from authz_mcp.reload.reloader import PolicyReloader, ReloadStatus

__all__ = ["PolicyReloader", "ReloadStatus", "policy_lifecycle"]
