"""`init`: a commented starter `gateway.yaml`, `policy.csv` and `model.conf`.

It asks only for what it cannot guess: the upstream server (a command or a URL),
the identity provider's issuer, and the user id who gets every permission at
first. Flags answer the same questions without a terminal.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from importlib import resources
from pathlib import Path

from authz_mcp.errors import ConfigError

_NAME_WORDS = re.compile(r"[A-Za-z0-9]+")
_FILES = ("gateway.yaml", "policy.csv", "model.conf")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = commands.add_parser(
        "init", help="write a commented starter gateway.yaml, policy.csv and model.conf"
    )
    init.add_argument("--dir", default=".", help="where to write the files (default: here)")
    server = init.add_mutually_exclusive_group()
    server.add_argument(
        "--command", help="the upstream's command line (stdio), e.g. 'npx -y some-mcp-server'"
    )
    server.add_argument("--url", help="the upstream's Streamable HTTP URL, e.g. http://127.0.0.1:3001/mcp")
    init.add_argument("--name", help="the upstream's name in policies and tool names (default: guessed)")
    init.add_argument("--issuer", help="your identity provider's issuer URL (OIDC)")
    init.add_argument("--admin", help="the user id (the token's subject) who may use everything")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.set_defaults(handler=_init_command)


def _init_command(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    existing = [name for name in _FILES if (folder / name).exists()]
    if existing and not args.force:
        raise ConfigError(f"{folder / existing[0]} exists; pass --force to overwrite")
    if not args.command and not args.url:
        answer = _ask(
            "upstream MCP server: a command line (stdio) or an http(s) URL (Streamable HTTP)", "--command"
        )
        args.url, args.command = (
            (answer, None) if answer.startswith(("http://", "https://")) else (None, answer)
        )
    words = shlex.split(args.command) if args.command else []
    if args.command is not None and not words:
        raise ConfigError("--command: empty command line")
    name = args.name or guess_name(words, args.url)
    issuer = args.issuer or _ask(
        "identity provider issuer URL (e.g. https://idp.example.com/realms/acme)", "--issuer"
    )
    admin = args.admin or _ask(
        "your user id, as in your tokens' subject claim (gets every permission)", "--admin"
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gateway.yaml").write_text(gateway_yaml(name, words, args.url, issuer), encoding="utf-8")
    (folder / "policy.csv").write_text(policy_csv(name, admin), encoding="utf-8")
    model = resources.files("authz_mcp.demo").joinpath("model.conf").read_text(encoding="utf-8")
    (folder / "model.conf").write_text(model, encoding="utf-8")
    config = folder / "gateway.yaml"
    print(f"wrote {config}, {folder / 'policy.csv'} and {folder / 'model.conf'}")
    print(f"next: authz-mcp check --config {config} && authz-mcp serve --config {config}")
    return 0


def _ask(question: str, flag: str) -> str:
    if not sys.stdin.isatty():
        raise ConfigError(f"init: {flag} is required when not run in a terminal")
    answer = input(f"{question}: ").strip()
    if not answer:
        raise ConfigError(f"init: no answer for {flag}")
    return answer


def guess_name(words: list[str], url: str | None) -> str:
    """A short upstream name from the server's package or host: `@scope/server-filesystem`
    gives `filesystem`."""
    candidates = [word for word in words if not word.startswith("-")]
    base = (candidates[-1] if len(candidates) == 1 else _package(candidates)) if candidates else ""
    if url is not None:
        base = url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    parts = [part for part in _NAME_WORDS.findall(base.rsplit("/", 1)[-1].lower()) if part not in _NOISE]
    return "-".join(parts)[:32] or "main"


_NOISE = frozenset({"mcp", "server", "js", "py", "npx", "uvx", "node", "python", "python3", "127", "0", "1"})


def _package(words: list[str]) -> str:
    """The server's own name in `npx -y pkg args…`, `uvx pkg args…` or `node path/server.js`."""
    runners = {"npx", "uvx", "node", "python", "python3", "pipx", "bunx", "docker"}
    rest = words[1:] if Path(words[0]).name in runners else words
    return rest[0] if rest else words[0]


def gateway_yaml(name: str, words: list[str], url: str | None, issuer: str) -> str:
    if url is not None:
        upstream = f"""    transport: streamable-http
    url: {url}
    # headers: {{Authorization: "Bearer ${{UPSTREAM_TOKEN}}"}}   # the gateway's own credential"""
    else:
        upstream = f"""    transport: stdio
    command: {json.dumps(words[0])}
    args: [{", ".join(json.dumps(word) for word in words[1:])}]
    # env: {{LOG_LEVEL: warn}}          # the process gets only these and a minimal PATH/HOME"""
    return f"""# authz-mcp gateway config, written by `authz-mcp init`. Check it with
#   authz-mcp check --config gateway.yaml
# and run it with `authz-mcp serve --config gateway.yaml`. Unknown keys are errors;
# ${{VAR}} is replaced from the environment; relative paths are relative to this file.
server:
  host: 127.0.0.1                 # 0.0.0.0 to listen on every interface
  port: 8080
  # public_url: https://mcp.example.com   # the URL clients use, if not http://host:port
auth:
  authorization_servers: [{issuer}]
  jwt:
    issuer: {issuer}              # keys are found through its OpenID Connect discovery
    # audience: https://mcp.example.com/mcp   # default: <public_url>/mcp
    # groups_claim: groups
  personal_tokens: true           # `authz-mcp token create` for scripts and CI
store:
  url: sqlite:state.db            # tokens survive restarts; redis://host:6379/0 for replicas
policy:
  model: model.conf
  file: policy.csv                # edits take effect within a second
upstreams:
  {name}:    # the name in policy objects and tool names ({name}__<tool>)
{upstream}
"""


def policy_csv(name: str, admin: str) -> str:
    return f"""# Who may do what through the gateway. Lines:
#   p, <subject>, <object pattern>, <action>, allow|deny
#   g, <user or group:<name>>, <role>
# Subjects: a user id (the token's subject) or group:<name> (its groups claim). Objects:
# {name}/tools/<name>, {name}/prompts/<name>, {name}/resources/<uri>; a trailing * matches
# any rest. Actions: call (tools), get (prompts), read (resources). A matching deny wins;
# no match denies. See what a user gets with
#   authz-mcp catalog --config gateway.yaml --user {admin}

# Admins use everything the upstream offers.
p, role:admin, {name}/tools/*, call, allow
p, role:admin, {name}/prompts/*, get, allow
p, role:admin, {name}/resources/*, read, allow

# A read-only role to start from: give it tools one by one.
# p, role:reader, {name}/tools/<a tool>, call, allow
# g, group:<a group of your identity provider>, role:reader

g, {admin}, role:admin
"""
