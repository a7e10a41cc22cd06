"""Building and running the gateway's image with a local Docker daemon, for tests/deploy.

Public base images cannot be pulled here, so the base is made locally once per machine:
Debian bookworm by `debootstrap` (minbase, python3, python3-venv, passwd), imported with
`docker import`, its root tree cached outside the repository. The build cannot reach a package
index either: the project's wheels and its dependencies' are built on the host and fed in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.support.upstreams import PROJECT_ROOT

BASE_IMAGE = "authz-mcp-test-base:bookworm"
IMAGE = "authz-mcp-test:latest"
CACHE = Path(os.environ.get("AUTHZ_MCP_IMAGE_CACHE", "/var/cache/authz-mcp-test"))
BUILD_TIMEOUT = 1500
# The wheels are resolved here, for this interpreter; bookworm's Python (3.11.2) also needs what
# dependencies ask for on Python < 3.11.3 only.
_FOR_BASE = ("async-timeout>=4.0.3",)


def docker_problem() -> str | None:
    """Why Docker cannot run here, or None when a daemon answers."""
    if shutil.which("docker") is None:
        return "the docker client is not installed"
    result = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        return f"no Docker daemon answers: {result.stderr.strip()[:200]}"
    return None


def _has_image(name: str) -> bool:
    found = subprocess.run(["docker", "image", "inspect", name], capture_output=True, timeout=60, check=False)
    return found.returncode == 0


def ensure_base_image() -> str:
    if _has_image(BASE_IMAGE):
        return BASE_IMAGE
    rootfs = CACHE / "rootfs"
    if not (rootfs / "usr" / "bin" / "python3").exists():
        shutil.rmtree(rootfs, ignore_errors=True)
        rootfs.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3,python3-venv,passwd",
                "bookworm",
                str(rootfs),
            ],
            check=True,
            capture_output=True,
            timeout=BUILD_TIMEOUT,
        )
        for leftovers in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (rootfs / leftovers).glob("*"):
                if path.is_file():
                    path.unlink()
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(
        ["docker", "import", "-", BASE_IMAGE], stdin=tar.stdout, check=True, capture_output=True, timeout=600
    )
    tar.wait(60)
    return BASE_IMAGE


def build_image(context: Path) -> str:
    """The gateway's image from deploy/Dockerfile, on the local base, from wheels built here."""
    root = Path(PROJECT_ROOT)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, context / name)
    for tree in ("authz_mcp", "policies"):
        shutil.copytree(root / tree, context / tree, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = context / "deploy" / "wheels"
    wheels.mkdir(parents=True)
    shutil.copy(root / "deploy" / "Dockerfile", context / "deploy" / "Dockerfile")
    subprocess.run(
        [
            str(root / ".venv" / "bin" / "python"),
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--wheel-dir",
            str(wheels),
            str(context),
            *_FOR_BASE,
        ],
        check=True,
        capture_output=True,
        timeout=BUILD_TIMEOUT,
    )
    base = ensure_base_image()
    built = subprocess.run(
        [
            "docker", "build", "--file", str(context / "deploy" / "Dockerfile"), "--tag", IMAGE,
            "--build-arg", f"BASE_IMAGE={base}", "--build-arg", "PIP_INDEX=--no-index", str(context),
        ],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False,
    )  # fmt: skip
    if built.returncode != 0:
        raise RuntimeError(f"docker build failed:\n{(built.stdout + built.stderr)[-4000:]}")
    return IMAGE


def image_size(image: str) -> int:
    size = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", image],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return int(size.stdout.strip())
