"""The settings tables of the docs, generated from the pydantic models (every key, its type, default, meaning).

    python -m extract.settings_docs           # rewrite the tables in docs/sources/*.md and docs/extract.md
    python -m extract.settings_docs --check   # exit 1 when a table is not what the models say

Each table sits between a begin and an end marker in its Markdown file; the text around it is kept.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from extract.settings import PROJECT_DIR

BEGIN = "<!-- settings table: generated from {model} by `python -m extract.settings_docs`; do not edit -->"
END = "<!-- end of settings table -->"
# names given to the shared field types of extract/sources/base.py, by their validator's function
_NAMED = {"_iso3": "ISO3", "_resolve": "path", "_years": "[first, last]"}


def _named(metadata) -> str | None:
    for meta in metadata:
        name = _NAMED.get(getattr(getattr(meta, "func", None), "__name__", ""))
        if name:
            return name
    return None


def type_name(annotation, metadata=()) -> str:
    """A field's type as a reader of the TOML file sees it."""
    if name := _named(metadata):
        return name
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0], args[1:])
    if origin is typing.Literal:
        return " \\| ".join(json.dumps(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        return " or ".join(type_name(a) for a in kept)
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is tuple:
        return f"[{', '.join(type_name(a) for a in args)}]"
    if origin is dict:
        return f"table of {type_name(args[0])} = {type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"table ({', '.join(annotation.model_fields)})"
    return {str: "string", int: "integer", float: "number", bool: "boolean", Path: "path"}.get(
        annotation, str(annotation)
    )


def default_text(value) -> str:
    if value is PydanticUndefined:
        return "required"
    if value is None:
        return "unset"
    if isinstance(value, Path):
        value = str(value.relative_to(PROJECT_DIR)) if value.is_relative_to(PROJECT_DIR) else str(value)
    if isinstance(value, dict):
        windows = ", ".join(f"{k} = {json.dumps([w or '' for w in v])}" for k, v in value.items())
        return "{ " + windows + " }" if value else "{}"
    return f"`{json.dumps(value)}`"


def table(model: type[BaseModel]) -> str:
    """The Markdown table of a settings model: key, type, default, description."""
    rows = ["| key | type | default | what it does |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        rows.append(
            f"| `{name}` | {type_name(field.annotation, field.metadata)} | {default_text(field.default)} | {field.description} |"
        )
    return "\n".join(rows)


def block(model: type[BaseModel]) -> str:
    return f"{BEGIN.format(model=model.__name__)}\n{table(model)}\n{END}"


def targets() -> dict[Path, type[BaseModel]]:
    """Each documentation file and the model whose table it holds."""
    from extract.config import RunSettings
    from extract.sources import REGISTRY, source_class

    out: dict[Path, type[BaseModel]] = {PROJECT_DIR / "docs" / "extract.md": RunSettings}
    for name in REGISTRY:
        out[PROJECT_DIR / "docs" / "sources" / f"{name}.md"] = source_class(name).Settings
    return out


def render(text: str, model: type[BaseModel]) -> str:
    """`text` with its settings table replaced (added at the end under '## Settings' when it has none)."""
    start = text.find("<!-- settings table:")
    if start < 0:
        return text.rstrip("\n") + f"\n\n## Settings\n{block(model)}\n"
    end = text.index(END, start) + len(END)
    return text[:start] + block(model) + text[end:]


def main(argv: list[str]) -> int:
    stale = []
    for path, model in targets().items():
        text = path.read_text()
        new = render(text, model)
        if new != text:
            stale.append(path)
            if "--check" not in argv:
                path.write_text(new)
    for path in stale:
        print(f"{path.relative_to(PROJECT_DIR)}: {'stale' if '--check' in argv else 'updated'}")
    return 1 if stale and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
