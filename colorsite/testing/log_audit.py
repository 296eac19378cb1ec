"""A pytest plugin that reads every log line the test run writes in its own process, through
the filters production's handler has (colorsite.logs.logging_config), and fails the run when
one still holds a private link (a UUID), a query string or a client's address (issue #34).
The patterns are this module's own, not colorsite.logs's: it checks the scrubbing, it does not
repeat it. Lines of the servers the tests start as processes are checked by their own tests
(colorsite/tests/test_log_privacy.py)."""

import ipaddress
import logging
import re

import pytest
from django.utils.module_loading import import_string

FINDINGS = {
    "a private link (UUID)": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE),
    "a query string": re.compile(r"/[\w/.:-]*\?[\w.%-]+="),
    "a client address": re.compile(
        r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\w)|(?<![\w:])[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])",
        re.IGNORECASE,
    ),
}


def _is_client_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


def findings_in(text: str) -> list[str]:
    """What ``text`` gives away, by name ([] when nothing)."""
    found = []
    for what, pattern in FINDINGS.items():
        for match in pattern.finditer(text):
            if what != "a client address" or _is_client_address(match.group(0)):
                found.append(f"{what}: {match.group(0)}")
                break
    return found


class AuditHandler(logging.Handler):
    """Formats each line as production does and keeps those that give something away."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        from colorsite import logs

        config = logs.logging_config(json_lines=True, level="DEBUG")
        for name in config["handlers"]["console"]["filters"]:
            self.addFilter(import_string(config["filters"][name]["()"])())
        spec = config["formatters"]["json"]
        from pythonjsonlogger.json import JsonFormatter

        self.setFormatter(JsonFormatter(spec["format"], timestamp=True, rename_fields=spec["rename_fields"]))
        self.lines = 0
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.lines += 1
        for finding in findings_in(text):
            if len(self.leaks) < 20:
                self.leaks.append(f"{finding} in {text[:400]}")


_handler: AuditHandler | None = None


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    global _handler
    _handler = AuditHandler()
    logging.getLogger().addHandler(_handler)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _handler is None:
        return
    logging.getLogger().removeHandler(_handler)
    if _handler.leaks:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("")
            reporter.write_sep("=", "log lines that give a person away (colorsite.testing.log_audit)", red=True)
            for leak in _handler.leaks:
                reporter.write_line(leak)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
