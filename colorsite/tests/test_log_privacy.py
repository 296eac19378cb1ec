"""No private link, query string or address in any log line or Sentry event, whoever writes it
(issue #34): Django's loggers, gunicorn's and the site's own. The whole test run is audited
too (colorsite.testing.log_audit); these are the lines the audit found before."""

import json
import logging
import socket
import uuid

import pytest
from django.test import Client

from colorsite import logs, sentry
from colorsite.testing.log_audit import findings_in
from colorsite.tests.servers import migrate, wait_for, web_server

PRIVATE_ID = str(uuid.uuid4())


@pytest.fixture(autouse=True)
def _fresh_sentry_budget(monkeypatch):
    monkeypatch.setattr(sentry, "_sent", type(sentry._sent)(list))


def test_djangos_not_found_line_keeps_no_private_link_or_query(json_lines, db):
    logging.getLogger("django.request").error("Not Found: /jobs/%s/?token=secret", PRIVATE_ID)
    (line,) = [line for line in json_lines() if line["logger"] == "django.request"]
    assert line["message"] == "Not Found: /jobs/:id/?…"


def test_an_error_with_a_traceback_keeps_no_private_link(json_lines):
    try:
        raise ValueError(f"no job {PRIVATE_ID} from 203.0.113.7")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: /jobs/%s/", PRIVATE_ID)
    (line,) = json_lines()
    assert findings_in(json.dumps(line)) == []
    assert "ValueError: no job :id from <address>" in line["exc_info"]


def test_a_lines_own_fields_are_scrubbed_too(json_lines):
    logging.getLogger("colorsite.test").info("moved", extra={"event": "x", "url": f"/jobs/{PRIVATE_ID}/?a=b"})
    (line,) = json_lines()
    assert line["url"] == "/jobs/:id/?…"


def test_the_database_unavailable_line_keeps_no_private_link(json_lines, db, monkeypatch):
    from django.db import OperationalError

    from gallery.views import jobs

    def down(*args, **kwargs):
        raise OperationalError("the server closed the connection")

    monkeypatch.setattr(jobs, "job_or_404", down)
    response = Client(raise_request_exception=False).get(f"/jobs/{PRIVATE_ID}/?utm=x")
    assert response.status_code == 503
    text = json.dumps(json_lines())
    assert "Database unavailable" in text
    assert PRIVATE_ID not in text
    assert "utm" not in text


def test_the_handler_of_the_site_and_of_gunicorn_scrubs():
    from colorsite import gunicorn_config

    for config in (logs.logging_config(json_lines=True, level="INFO"), gunicorn_config.logconfig_dict):
        assert "scrub" in config["handlers"]["console"]["filters"]
        assert config["filters"]["scrub"]["()"] == "colorsite.logs.ScrubFilter"


def test_gunicorns_invalid_request_line_names_no_address(tmp_path):
    migrate(tmp_path)
    with web_server(tmp_path, LOG_FORMAT="json") as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
            connection.sendall(f"GET /jobs/{PRIVATE_ID}/?{'x' * 5000} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            connection.recv(1024)
        wait_for(lambda: "Invalid request" in server.log_path.read_text(), timeout=10, what="gunicorn's line")
        text = server.log_path.read_text()
    (line,) = [line for line in text.splitlines() if "Invalid request" in line]
    assert findings_in(line) == []  # its one client is this machine (gunicorn listens on 127.0.0.1)


def test_gunicorns_line_for_a_client_elsewhere_names_no_address():
    line = "Invalid request from ip=203.0.113.9: Invalid HTTP request line: 'x'"
    assert logs.scrub(line) == "Invalid request from ip=<address>: Invalid HTTP request line: 'x'"


# --- Sentry --------------------------------------------------------------------------------------


def _events(received):
    import sentry_sdk

    sentry_sdk.flush(timeout=5)
    return [envelope for envelope in received if '"type":"event"' in envelope.replace(" ", "")]


def test_a_sentry_event_keeps_no_private_link_query_or_address(sentry_endpoint, db):
    response = Client(raise_request_exception=False).get(
        f"/jobs/{PRIVATE_ID}/?token=secret", HTTP_HOST="evil.example", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert response.status_code == 400  # DisallowedHost: logged by django.security at ERROR
    (event,) = _events(sentry_endpoint)
    assert PRIVATE_ID not in event
    assert "token=secret" not in event
    assert "203.0.113.9" not in event


def test_a_client_cannot_spend_the_sentry_quota(sentry_endpoint, db):
    fields = "&".join(f"f{number}=1" for number in range(1100))
    client = Client(raise_request_exception=False)
    for _ in range(10):
        client.post("/", fields, content_type="application/x-www-form-urlencoded")
    assert len(_events(sentry_endpoint)) == sentry.SECURITY_EVENTS_PER_WINDOW


def test_the_sentry_budget_comes_back_after_its_window(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(sentry, "clock", lambda: now[0])
    event = {"logger": "django.security.TooManyFieldsSent", "logentry": {"message": "Too many fields"}}
    assert sentry.before_send(dict(event), {}) is not None
    assert sentry.before_send(dict(event), {}) is None
    now[0] += sentry.WINDOW_SECONDS + 1
    assert sentry.before_send(dict(event), {}) is not None


def test_an_ordinary_error_is_sent_up_to_its_budget():
    event = {"logger": "gallery.services.worker", "logentry": {"message": "job failed: %s"}}
    sent = [sentry.before_send(dict(event), {}) for _ in range(sentry.EVENTS_PER_WINDOW + 3)]
    assert sum(event is not None for event in sent) == sentry.EVENTS_PER_WINDOW


def test_a_logged_error_reaches_sentry_with_its_traceback(sentry_endpoint):
    try:
        raise KeyError("the cause")
    except KeyError:
        logging.getLogger("gallery.services.worker").exception("Job %s failed", 7)
    (event,) = _events(sentry_endpoint)
    assert '"type":"KeyError"' in event.replace(" ", "")
    assert "test_a_logged_error_reaches_sentry_with_its_traceback" in event  # the stack frame


def test_security_events_with_varying_text_share_one_budget(sentry_endpoint, db):
    client = Client(raise_request_exception=False)
    for host in ("a.evil", "b.evil", "c.evil"):
        assert client.get("/", HTTP_HOST=host).status_code == 400
    assert len(_events(sentry_endpoint)) == sentry.SECURITY_EVENTS_PER_WINDOW


def test_the_lines_kept_record_is_left_as_it_was_for_other_handlers():
    record = logging.LogRecord("x", logging.ERROR, "", 0, "no job %s", (PRIVATE_ID,), None)
    scrubbed = logs.ScrubFilter().filter(record)
    assert scrubbed.getMessage() == "no job :id"
    assert record.getMessage() == f"no job {PRIVATE_ID}"


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("Connection from 203.0.113.7.", "Connection from <address>."),
        ("from 2001:db8::1.", "from <address>."),
        ("graph sha256 " + "ab" * 32, "graph sha256 " + "ab" * 32),
        ("pattern (?P<name>x)", "pattern (?P<name>x)"),
    ],
)
def test_scrub_keeps_what_is_not_personal_and_takes_what_is(text, scrubbed):
    assert logs.scrub(text) == scrubbed
