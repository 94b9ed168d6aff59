"""Schema changes must stay compatible for consumers unless schema_version is bumped."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from service import jsonio
from service.schema_compat import breaking_changes, check
from service.schemas import SCHEMA_FILES
from tests.conftest import REPO

SCHEMAS = REPO / "schemas"
HISTORY = SCHEMAS / "history"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = jsonio.loads(path.read_bytes())
    return data


def stem(file_name: str) -> str:
    return re.sub(r"\.v\d+\.json$", "", file_name)


def frozen(file_name: str) -> Path:
    """The newest frozen copy of a schema (schemas/history/<stem>.v<N>.json)."""
    copies = sorted(
        HISTORY.glob(f"{stem(file_name)}.v*.json"),
        key=lambda p: int(re.findall(r"\.v(\d+)\.json$", p.name)[0]),
    )
    assert copies, f"no frozen copy of {file_name} in {HISTORY}"
    return copies[-1]


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_current_schema_is_compatible_with_its_frozen_copy(name: str) -> None:
    current = SCHEMAS / SCHEMA_FILES[name]
    breaks = check(load(frozen(current.name)), load(current))
    assert not breaks, (
        f"{current.name} is not backward compatible with {frozen(current.name).name}:\n  "
        + "\n  ".join(breaks)
        + "\nBump schema_version (new file name and const) or revert the change."
    )


def story() -> dict[str, Any]:
    return copy.deepcopy(load(SCHEMAS / SCHEMA_FILES["story"]))


def enriched() -> dict[str, Any]:
    return copy.deepcopy(load(SCHEMAS / SCHEMA_FILES["enriched"]))


def dead_letter() -> dict[str, Any]:
    return copy.deepcopy(load(SCHEMAS / SCHEMA_FILES["dead_letter"]))


def only(breaks: list[str], words: str) -> None:
    assert breaks, "the checker missed a breaking change"
    assert any(words in b for b in breaks), breaks


def test_a_removed_property_is_caught() -> None:
    old, new = story(), story()
    del new["properties"]["outlets"]
    new["required"].remove("outlets")
    only(check(old, new), "outlets: property removed")


def test_a_removed_optional_property_is_caught() -> None:
    old, new = enriched(), enriched()
    del new["properties"]["language_detected"]
    only(check(old, new), "language_detected: property removed")


def test_a_changed_type_is_caught() -> None:
    old, new = story(), story()
    new["properties"]["article_count"]["type"] = "string"
    only(check(old, new), "article_count: type changed from integer to string")


def test_a_narrowed_type_is_caught() -> None:
    old, new = enriched(), enriched()
    new["properties"]["duplicate_of"]["type"] = "string"
    only(check(old, new), "duplicate_of: type narrowed from null|string to string")


def test_a_widened_type_is_caught() -> None:
    old, new = story(), story()
    new["properties"]["title"]["type"] = ["string", "null"]
    only(check(old, new), "title: type widened")


def test_a_type_change_inside_defs_is_caught() -> None:
    old, new = enriched(), enriched()
    new["$defs"]["mention"]["properties"]["start"]["type"] = "string"
    only(check(old, new), "#/$defs/mention/properties/start: type changed")


def test_an_optional_field_made_required_is_caught() -> None:
    old, new = enriched(), enriched()
    new["required"].append("language_detected")
    only(check(old, new), "language_detected: optional field made required")


def test_a_new_required_field_is_caught() -> None:
    old, new = story(), story()
    new["properties"]["summary"] = {"type": "string"}
    new["required"].append("summary")
    only(check(old, new), "summary: new required field")


def test_a_required_field_made_optional_is_caught() -> None:
    old, new = story(), story()
    new["required"].remove("last_seen")
    only(check(old, new), "last_seen: required field made optional")


def test_a_removed_enum_value_is_caught() -> None:
    old, new = dead_letter(), dead_letter()
    new["properties"]["error_code"]["enum"].remove("too_large")
    only(check(old, new), "enum value(s) removed: ['too_large']")


def test_an_added_enum_value_is_caught() -> None:
    old, new = enriched(), enriched()
    new["$defs"]["entity"]["properties"]["type"]["enum"].append("PRODUCT")
    only(check(old, new), "enum value(s) added: ['PRODUCT']")


def test_a_changed_constraint_is_caught() -> None:
    old, new = story(), story()
    new["properties"]["article_count"]["minimum"] = 2
    only(check(old, new), "minimum changed from 1 to 2")


def test_a_property_added_to_a_closed_object_is_caught() -> None:
    old, new = dead_letter(), dead_letter()
    new["properties"]["retry_count"] = {"type": "integer"}
    only(check(old, new), "retry_count: property added where none were allowed")


def test_closing_an_open_object_is_caught() -> None:
    old, new = story(), story()
    new["additionalProperties"] = False
    only(check(old, new), "additionalProperties changed from True to False")


def test_annotations_and_new_optional_properties_are_compatible() -> None:
    old, new = story(), story()
    new["description"] += " More words."
    new["properties"]["title"]["examples"] = ["Another example"]
    new["properties"]["summary"] = {"type": "string", "description": "A new optional field."}
    assert breaking_changes(old, new) == []


def test_a_version_bump_allows_a_breaking_change() -> None:
    old, new = story(), story()
    del new["properties"]["outlets"]
    new["required"].remove("outlets")
    assert check(old, new)
    new["properties"]["schema_version"]["const"] = 2
    assert check(old, new) == []
