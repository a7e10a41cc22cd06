"""The web console: sign-in with the identity provider, a user's catalog and tokens."""

from authz_mcp.console.app import PREFIX, console_app

__all__ = ["PREFIX", "console_app"]
