"""The documentation keeps up with the code: every environment variable the settings read is in
the one settings table of docs/operations.md, README.md stays a front page, and every relative
link in README.md and docs/ leads to a file."""

import ast
import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SETTINGS = sorted((BASE_DIR / "colorsite" / "settings").glob("*.py"))
OPERATIONS = BASE_DIR / "docs" / "operations.md"
DOCUMENTS = [BASE_DIR / "README.md", *sorted((BASE_DIR / "docs").glob("*.md"))]

# The calls that read a variable: env and its typed readers (bool, str, int, float, list, db, cache), env_secret,
# env.ENVIRON.get("X"), os.environ.get("X"), os.getenv("X"), required("X", ...).
READERS = {"env", "env_secret", "getenv", "required"}
METHODS_OF_ENV = {"bool", "str", "int", "float", "list", "tuple", "dict", "json", "url", "path", "db", "cache"}
METHODS_OF_ENV |= {"db_url", "cache_url", "email_url", "search_url", "get_value"}


def _called_name(func):
    """Whether a call reads the environment: ``env(...)``, ``env.bool(...)``, ``os.environ.get(...)``."""
    if isinstance(func, ast.Name):
        return func.id in READERS
    if isinstance(func, ast.Attribute):
        owner = ast.unparse(func.value)
        return (
            (owner == "env" and func.attr in METHODS_OF_ENV)
            or (owner in {"env.ENVIRON", "os.environ"} and func.attr == "get")
            or (owner == "os" and func.attr == "getenv")
        )
    return False


def variables_read(path):
    """The names of the environment variables a settings module reads."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and _called_name(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) in {"os.environ", "env.ENVIRON"}
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            names.add(node.slice.value)
    return names


def settings_table_rows():
    """The table rows of docs/operations.md's "## Settings" section."""
    section = OPERATIONS.read_text().split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("|")]


def relative_links(path):
    """The link and image targets of a Markdown file that name a file, not a URL or an anchor
    (code blocks and code spans left out)."""
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)
    targets = re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text)
    return [target for target in targets if not re.match(r"[a-z][a-z0-9+.-]*:|#", target)]


def test_the_settings_read_variables():
    names = set().union(*(variables_read(path) for path in SETTINGS))
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "COLORIZE_WEIGHTS_DIR", "RECAPTCHA_PUBLIC_KEY"} <= names


def test_every_variable_the_settings_read_is_in_the_settings_table():
    rows = "\n".join(settings_table_rows())
    names = set().union(*(variables_read(path) for path in SETTINGS))
    missing = sorted(name for name in names if f"`{name}`" not in rows)
    assert not missing, f"not in docs/operations.md's settings table: {missing}"


def test_the_readme_is_a_front_page():
    assert len((BASE_DIR / "README.md").read_text().splitlines()) < 200


def test_the_readme_keeps_the_two_commands():
    readme = (BASE_DIR / "README.md").read_text()
    assert "make run" in readme
    assert "make test" in readme


def test_every_relative_link_leads_to_a_file():
    broken = [
        f"{document.relative_to(BASE_DIR)}: {target}"
        for document in DOCUMENTS
        for target in relative_links(document)
        if not (document.parent / target.split("#")[0]).exists()
    ]
    assert not broken, broken
