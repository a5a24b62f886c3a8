"""Every shipped config parses: its keys exist and its values have the right types."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from seqrec.training.cli import train

CONF = Path(__file__).resolve().parents[2] / "conf"


@pytest.mark.parametrize("config", sorted(CONF.glob("*.yaml")), ids=lambda p: p.stem)
def test_config_parses(config: Path, capsys):
    with pytest.raises(SystemExit) as stopped:
        train(["--config", str(config), "--print_config"])
    assert stopped.value.code in (0, None)
    printed = yaml.safe_load(capsys.readouterr().out)
    written = yaml.safe_load(config.read_text())
    for section in ("data", "model"):
        for key, value in written.get(section, {}).items():
            if not isinstance(value, dict):
                assert printed[section][key] == value, f"{config.name}: {section}.{key}"
