"""Tests for the bundled demo upstream server (authz_mcp.demo)."""
