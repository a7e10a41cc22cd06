"""Loading the YAML file: bad YAML names the line, policy paths follow the config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from authz_mcp.config import load_config
from authz_mcp.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("server:\n  host: 127.0.0.1\n port: 8080\n", 3),
        ("server:\n\thost: 127.0.0.1\n", 2),
        ("server:\n  host: 127.0.0.1\n  port: 8080\nstore: {url: memory://\npolicy:\n  x: 1\n", 5),
    ],
    ids=["bad-indent", "tab", "unclosed-flow-mapping"],
)
def test_invalid_yaml_is_an_error_naming_file_and_line(tmp_path: Path, text: str, line: int) -> None:
    path = write(tmp_path / "gateway.yaml", text)
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: ")
    assert "\n" not in message


def test_missing_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    assert str(raised.value).startswith(f"{path}: ")


def test_validation_errors_name_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "gateway.yaml", "server:\n  bogus: 1\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    assert str(raised.value) == f"{path}: unknown key server.bogus"


def test_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "gateway.yaml", ""), environ={})
    assert config.server.mcp_url == "http://127.0.0.1:8080/mcp"
    assert config.upstreams == {}


def test_relative_policy_paths_are_resolved_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path / "etc" / "gateway.yaml",
        "policy:\n  model: rules/model.conf\n  file: ../shared/policy.csv\n",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    config = load_config(Path("..") / "etc" / "gateway.yaml", environ={})

    assert Path(config.policy.model) == tmp_path / "etc" / "rules" / "model.conf"
    assert Path(config.policy.file).resolve() == tmp_path / "shared" / "policy.csv"


def test_default_policy_paths_are_resolved_against_the_config_folder(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "gateway.yaml", "server: {port: 9000}\n"), environ={})
    assert Path(config.policy.model) == tmp_path / "policies" / "model.conf"
    assert Path(config.policy.file) == tmp_path / "policies" / "policy.csv"


def test_absolute_policy_paths_are_kept(tmp_path: Path) -> None:
    model, policy = tmp_path / "abs" / "model.conf", tmp_path / "abs" / "policy.csv"
    path = write(tmp_path / "etc" / "gateway.yaml", f"policy:\n  model: {model}\n  file: {policy}\n")
    config = load_config(path, environ={})
    assert (config.policy.model, config.policy.file) == (str(model), str(policy))


def test_environment_is_expanded_in_loaded_files(tmp_path: Path) -> None:
    path = write(tmp_path / "gateway.yaml", "server:\n  public_url: https://${HOST}\n")
    assert (
        load_config(path, environ={"HOST": "mcp.example.com"}).server.public_url == "https://mcp.example.com"
    )
