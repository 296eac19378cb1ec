"""Playwright's set-up for the browser tests: Debian's Chromium, the marks every browser test
module carries, a page that watches for CSP violations and answers reCAPTCHA's script with a
stand-in, screenshots, and axe-core's check. The fixtures (``browser``, ``worker``,
``old_photo``, ``no_csp_violations``) are in colorsite.testing.fixtures.

reCAPTCHA: Google's widget script is answered by a tiny stand-in that fills in a token (the
browser has no network), and the server-side check is replaced only at its single network
call (django_recaptcha.client.submit), as in the other tests."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from colorsite.testing.axe import axe_violations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / (
    "docs/screenshots" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "test-artifacts/screenshots"
)
RECAPTCHA_STAND_IN = """
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".g-recaptcha").forEach(function (box) {
    box.innerHTML = '<div class="border rounded px-3 py-2 d-inline-flex align-items-center gap-2 bg-light">' +
      '<span aria-hidden="true">&#9745;</span> I\\'m not a robot <small class="text-body-secondary">(test stand-in)</small></div>' +
      '<textarea name="g-recaptcha-response" hidden>browser-test-token</textarea>';
  });
});
window.grecaptcha = { ready: function (f) { f(); }, execute: function () { return Promise.resolve("browser-test-token"); } };
"""

# The browser contexts (new_page's options) of a phone and of a desktop.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

# Every browser test module: ``pytestmark = BROWSER_TEST``.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"{CHROMIUM} is missing: apt-get install chromium"),
    pytest.mark.usefixtures("no_csp_violations"),
]

# Content-Security-Policy violations seen by any page of the current test (the console's
# "Refused to ..." errors and the securitypolicyviolation events): there must be none.
CSP_VIOLATIONS: list[str] = []
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI);
});
"""


def _record_csp_violation(message):
    if message.type == "error" and ("Content Security Policy" in message.text or "CSP violation" in message.text):
        CSP_VIOLATIONS.append(message.text)


def new_page(browser, live_server, **context_options):
    context = browser.new_context(base_url=live_server.url, accept_downloads=True, **context_options)
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.on("console", _record_csp_violation)
    page.set_default_timeout(60_000)
    page.route(
        "https://www.google.com/recaptcha/**",
        lambda route: route.fulfill(status=200, content_type="application/javascript", body=RECAPTCHA_STAND_IN),
    )
    # Nothing else may leave the machine: the site must not need any CDN.
    page.route(
        lambda url: not url.startswith(live_server.url) and "google.com/recaptcha" not in url,
        lambda route: route.abort(),
    )
    return page


def shot(target, name, **options):
    """Screenshot a page or a locator as SCREENSHOTS/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SCREENSHOTS / f"{name}.png"), **options)


def upload(page, photo, *, gallery=True):
    page.goto("/")
    page.get_by_label("Photo").set_input_files(str(photo))
    if gallery:
        page.get_by_label("Show it in the public gallery").check()
    page.locator("textarea[name=g-recaptcha-response]").wait_for(state="attached")


def assert_accessible(page):
    violations = axe_violations(page)
    assert violations == [], "\n".join(f"{v['rule']} ({v['impact']}): {v['help']}: {v['nodes']}" for v in violations)
