"""axe-core, Deque's accessibility engine, from the npm registry, for the browser tests.

The pinned release is fetched once with ``npm pack`` (npm checks the registry's integrity
hash) into test-artifacts/ (ignored by git); without npm or the registry the accessibility
checks are skipped, saying why."""

import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from django.conf import settings

AXE_VERSION = "4.14.1"
AXE_DIR = Path(settings.BASE_DIR) / "test-artifacts" / f"axe-core-{AXE_VERSION}"
AXE_SCRIPT = AXE_DIR / "axe.min.js"

# The rules axe runs: WCAG 2.0, 2.1 and 2.2 A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        npm = shutil.which("npm")
        if not npm:
            pytest.skip("npm is missing, so axe-core cannot be fetched: apt-get install npm")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", str(AXE_DIR), "--silent"],
                check=True,
                capture_output=True,
                timeout=300,
            )
        except (subprocess.SubprocessError, OSError) as error:
            pytest.skip(f"could not fetch axe-core {AXE_VERSION} from the npm registry: {error}")
        with tarfile.open(AXE_DIR / f"axe-core-{AXE_VERSION}.tgz") as archive:
            member = archive.extractfile("package/axe.min.js")
            assert member is not None, "the axe-core package has no axe.min.js"
            AXE_SCRIPT.write_bytes(member.read())
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page, *, exclude=(".g-recaptcha",)) -> list[dict]:
    """Run axe-core on ``page`` as it is now; its violations, each with the rule, the impact,
    the help text and the offending elements. Injected through the DevTools protocol, so the
    page's Content-Security-Policy stays as strict as ever (reCAPTCHA's widget is Google's,
    and in these tests a stand-in: left out)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        """([exclude, tags]) => axe.run({exclude: exclude.map(s => [s])}, {runOnly: {type: "tag", values: tags}})""",
        [list(exclude), AXE_TAGS],
    )
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [(node["target"], node.get("failureSummary", "")) for node in v["nodes"]],
        }
        for v in result["violations"]
    ]
