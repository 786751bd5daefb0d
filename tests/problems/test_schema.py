"""The JSON Schema editors use agrees with the loader on every schema-level rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from problems.errors import PackError
from problems.loader import load_pack, shipped_pack_paths
from problems.model import BADGE_RULE_NAMES, DIFFICULTIES, KINDS, LETTERS, LEVELS, VERIFY_MODES

from .corpus import VALID_PACK, BadPack, bad_packs

jsonschema = pytest.importorskip("jsonschema")

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "problems" / "pack.schema.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator, text: str) -> list[str]:
    return [error.message for error in validator.iter_errors(yaml.safe_load(text))]


def test_schema_declares_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("path", shipped_pack_paths(), ids=lambda p: p.name)
def test_every_shipped_pack_matches_the_schema(validator, path: Path) -> None:
    assert errors(validator, path.read_text(encoding="utf-8")) == []


def test_the_known_good_test_pack_matches_the_schema(validator) -> None:
    assert errors(validator, VALID_PACK) == []


@pytest.mark.parametrize("bad", [b for b in bad_packs() if b.schema == "reject"], ids=str)
def test_schema_rejects_schema_level_mistakes(validator, bad: BadPack) -> None:
    assert errors(validator, bad.path.read_text(encoding="utf-8")), f"schema accepted {bad}"


def test_corpus_marks_every_pack(validator) -> None:
    assert {bad.schema for bad in bad_packs()} <= {"reject", "n/a"}


@pytest.mark.parametrize(
    ("field", "allowed"),
    [("kind", KINDS), ("difficulty", DIFFICULTIES), ("level", LEVELS), ("verify", VERIFY_MODES)],
)
def test_schema_and_loader_accept_the_same_values(validator, write_pack, field, allowed) -> None:
    def pack_with(value: str) -> dict:
        pack = yaml.safe_load(VALID_PACK)
        pack["problems"][0].update({field: value, "code": "print(1)"})
        if value in ("debug", "exception"):  # the runner reads these keys as exceptions
            pack["problems"][0]["choices"]["A"] = "No error, code runs successfully"
            pack["problems"][0]["solution"]["final"] = "No error -> Option A"
        return pack

    for value in allowed:
        pack = pack_with(value)
        assert list(validator.iter_errors(pack)) == [], (field, value)
        load_pack(write_pack(yaml.safe_dump(pack)))  # does not raise
    wrong = pack_with(f"not-a-{field}")
    assert list(validator.iter_errors(wrong)), field
    with pytest.raises(PackError, match=f"'not-a-{field}' is not one of"):
        load_pack(write_pack(yaml.safe_dump(wrong)))


def test_schema_badge_rules_and_letters_match_the_model() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    defs = schema["$defs"]
    assert defs["badge"]["properties"]["rule"]["enum"] == list(BADGE_RULE_NAMES)
    assert defs["choices"]["propertyNames"]["enum"] == list(LETTERS)
    assert defs["problem"]["properties"]["answer"]["enum"] == list(LETTERS)
