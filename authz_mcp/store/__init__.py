"""Connections to the shared state backends, used by the session and token stores."""
