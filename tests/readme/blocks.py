"""The README's fenced code blocks and shell commands, with the section each stands in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.support.upstreams import PROJECT_ROOT

README = Path(PROJECT_ROOT) / "README.md"
_FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
_HEADING = re.compile(r"^#{2,4} (.+)$")


@dataclass(frozen=True, slots=True)
class Block:
    language: str
    text: str
    section: str
    line: int


def blocks(text: str | None = None) -> list[Block]:
    found: list[Block] = []
    section = ""
    lines = (README.read_text(encoding="utf-8") if text is None else text).splitlines()
    index = 0
    while index < len(lines):
        heading = _HEADING.match(lines[index])
        if heading:
            section = heading.group(1)
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        indent, language = fence.group(1), fence.group(2)
        start = index + 1
        index = start
        while not lines[index].strip().startswith("```"):
            index += 1
        body = "\n".join(line.removeprefix(indent) for line in lines[start:index])
        found.append(Block(language, body + "\n", section, start))
        index += 1
    return found


def shell_commands(block: Block) -> list[str]:
    """One string per command: continuation lines joined, comments and blank lines dropped."""
    commands: list[str] = []
    pending = ""
    for raw in block.text.splitlines():
        line = raw.rstrip()
        if not pending and (not line or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        commands.append(_without_comment(pending + line.strip()))
        pending = ""
    return commands


def _without_comment(command: str) -> str:
    """The command without a trailing `# …` comment (a `#` inside quotes is kept)."""
    quote = ""
    for index, char in enumerate(command):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and index > 0 and command[index - 1] == " ":
            return command[:index].rstrip()
    return command
