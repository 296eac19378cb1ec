"""The interactive docs in a real Chromium under the site's Content-Security-Policy: Swagger UI
renders the API from the site's own files, logs no CSP violation and reaches no other site."""

import shutil

import pytest
from django.urls import reverse

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI);
});
"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"{CHROMIUM} is missing: apt-get install chromium"),
]


@pytest.fixture
def page(monkeypatch, live_server):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(base_url=live_server.url)
        context.add_init_script(REPORT_VIOLATIONS)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.console_errors, page.elsewhere = [], []
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        # Nothing may leave the machine: the docs must need no CDN.
        page.route(
            lambda url: not url.startswith(live_server.url),
            lambda route: (page.elsewhere.append(route.request.url), route.abort()),
        )
        yield page
        browser.close()
        connections.close_all()


def test_the_docs_render_under_the_csp(page):
    response = page.goto(reverse("api:docs"))
    assert "script-src" in response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in response.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    page.wait_for_selector("text=Colorsite API", timeout=20_000)
    for path in ("/api/v1/jobs", "/api/v1/jobs/{id}", "/api/v1/models"):
        assert page.locator(".opblock-summary-path", has_text=path).count() >= 1, path
    assert page.locator("button.authorize").is_visible()  # the Bearer key can be entered
    assert page.console_errors == []
    assert page.elsewhere == []


def test_the_docs_page_passes_axe(page):
    from colorsite.testing.axe import axe_violations

    page.goto(reverse("api:docs"))
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    violations = axe_violations(page)
    assert violations == [], "\n".join(f"{v['rule']} ({v['impact']}): {v['help']}: {v['nodes']}" for v in violations)
