"""The README's request and scenario examples stay valid."""

import re
from pathlib import Path

from longweave.catalog import load_catalog, load_scenario_file
from longweave.contracts import ScenarioRequest
from longweave.sampler.logic import request_problems

README = Path(__file__).resolve().parents[2] / "README.md"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## Scenario requests"):text.index("## Paradigms")]


def test_the_documented_request_is_valid_and_can_be_sampled():
    [example] = re.findall(r"```json\n(.*?)```", section(), re.DOTALL)
    request = ScenarioRequest.model_validate_json(example)
    assert request_problems(request, load_catalog()) == []


def test_the_documented_scenario_is_valid(tmp_path):
    [example] = re.findall(r"```yaml\n(.*?)```", section(), re.DOTALL)
    (tmp_path / "s.yaml").write_text(example, encoding="utf-8")
    assert load_scenario_file(tmp_path / "s.yaml")[0]["domain"] == "maritime"
