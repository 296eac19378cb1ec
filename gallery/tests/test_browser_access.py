"""Browser tests of the smaller points (the copy-link button, focus after an error, buttons big
enough on a phone), axe-core's accessibility check on the site's own pages, and the upload page
when Google cannot be reached. The set-up is colorsite.testing.browser's."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from colorsite.testing.axe import axe_violations
from colorsite.testing.browser import BROWSER_TEST, CSP_VIOLATIONS, DESKTOP, PHONE, assert_accessible, new_page, shot
from gallery.models import ColorizationJob
from gallery.services import moderation
from gallery.tests.browser_sessions import remembered_by_a_new_browser
from gallery.tests.factories import ColorizationJobFactory

pytestmark = BROWSER_TEST


# --- The smaller points --------------------------------------------------------------------------


def test_a_file_that_is_not_a_picture_gets_a_note_not_a_broken_preview(browser, live_server, engine_model, tmp_path):
    fake = tmp_path / "holiday.jpg"
    fake.write_bytes(b"definitely not a picture")
    page = new_page(browser, live_server, **DESKTOP)
    page.goto("/")
    page.get_by_label("Photos").set_input_files(str(fake))
    page.get_by_text("holiday.jpg (24 bytes): not a picture we can show here").wait_for()
    assert not page.locator("[data-dropzone-preview]").is_visible()
    assert page.evaluate(
        "[...document.images].every(img => !img.src || (img.complete && img.naturalWidth > 0) || !img.checkVisibility())"
    )


def test_after_an_error_the_summary_has_the_focus(browser, live_server, engine_model, recaptcha_passes, tmp_path):
    fake = tmp_path / "holiday.jpg"
    fake.write_bytes(b"definitely not a picture")
    page = new_page(browser, live_server, **DESKTOP)
    page.goto("/")
    page.get_by_label("Photos").set_input_files(str(fake))
    page.locator("textarea[name=g-recaptcha-response]").wait_for(state="attached")
    page.get_by_role("button", name="Colorize").click()
    # The summary takes the focus once the page's script has run (DOMContentLoaded), which can
    # be a moment after the element itself is parsed: expect() waits for it.
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert "choose your photo or photos again" in page.locator("[data-error-summary]").text_content()
    assert_accessible(page)


def test_the_copy_link_button_copies_the_private_link(browser, live_server, engine_model):
    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)
    page = new_page(browser, live_server, permissions=["clipboard-read", "clipboard-write"], **DESKTOP)
    page.goto(job.get_absolute_url())
    page.get_by_role("button", name="Copy link").click()
    page.get_by_text("Link copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == live_server.url + job.get_absolute_url()


def test_without_javascript_the_link_is_shown_to_copy_by_hand(browser, live_server, engine_model):
    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)
    page = new_page(browser, live_server, java_script_enabled=False, **DESKTOP)
    page.goto(job.get_absolute_url())
    assert page.get_by_label("This page's private link").input_value() == live_server.url + job.get_absolute_url()
    assert not page.get_by_role("button", name="Copy link").is_visible()


@pytest.mark.parametrize("where", ["upload", "result", "my-photos"])
def test_buttons_are_at_least_44_px_tall_on_a_phone(browser, live_server, engine_model, where):
    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)
    url = {"upload": "/", "result": job.get_absolute_url(), "my-photos": reverse("gallery:my_photos")}[where]
    page = remembered_by_a_new_browser(browser, live_server, [job], **PHONE)  # the owner's page: every button
    page.goto(url)
    heights = page.evaluate(
        """() => [...document.querySelectorAll(".btn, button, input[type=submit]")]
                  .filter(el => el.checkVisibility())
                  .map(el => [el.textContent.trim(), el.getBoundingClientRect().height])"""
    )
    assert heights
    assert all(height >= 44 for _, height in heights), heights


# --- axe-core on the site's own pages ------------------------------------------------------------


@pytest.fixture
def site_pages(engine_model):
    """A URL for each of the site's own pages, with something on it, and the jobs they show
    (the browser that checks them owns those, so the pages show the owner's controls)."""
    batch_jobs = [ColorizationJobFactory(succeeded=True, model_name=engine_model, batch=None) for _ in range(2)]
    public = ColorizationJobFactory(public=True, model_name=engine_model)
    moderation.jobs_approve(jobs=[public])
    import uuid

    batch = uuid.uuid4()
    ColorizationJob.objects.filter(pk__in=[job.pk for job in batch_jobs]).update(batch=batch)
    waiting = ColorizationJobFactory(model_name=engine_model)
    failed = ColorizationJobFactory(failed=True, model_name=engine_model)
    urls = {
        "upload": "/",
        "result": batch_jobs[0].get_absolute_url(),
        "waiting": waiting.get_absolute_url(),
        "failed": failed.get_absolute_url(),
        "batch": reverse("gallery:batch_detail", args=[batch]),
        "my-photos": reverse("gallery:my_photos"),
        "gallery": reverse("gallery:gallery"),
        "gallery-detail": public.get_gallery_url(),
        "delete": reverse("gallery:job_delete", args=[batch_jobs[1].public_id]),
    }
    return urls, [*batch_jobs, public, waiting, failed]


@pytest.mark.parametrize(
    "where", ["upload", "result", "waiting", "failed", "batch", "my-photos", "gallery", "gallery-detail", "delete"]
)
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_axe_finds_no_violations(browser, live_server, site_pages, where, device):
    urls, jobs = site_pages
    page = remembered_by_a_new_browser(browser, live_server, jobs, **(DESKTOP if device == "desktop" else PHONE))
    page.goto(urls[where], wait_until="networkidle")
    assert_accessible(page)


def test_axe_would_report_a_violation(browser, live_server, engine_model):
    page = new_page(browser, live_server, **DESKTOP)
    page.goto("/")
    page.evaluate(
        "() => document.querySelector('main').appendChild(Object.assign(document.createElement('input'), {type: 'text'}))"
    )
    assert "label" in [violation["rule"] for violation in axe_violations(page)]


def without_google(page):
    """This machine cannot reach Google: its reCAPTCHA script fails to load."""
    page.unroute("https://www.google.com/recaptcha/**")
    page.route("https://www.google.com/recaptcha/**", lambda route: route.abort())


def test_without_google_the_upload_page_says_so_and_keeps_the_chosen_photo(
    browser, live_server, engine_model, old_photo
):
    """Issue #24: the box was an empty space, and "Colorize" came back with "This field is
    required." and the photo to be picked again."""
    page = new_page(browser, live_server, viewport={"width": 1280, "height": 900})
    without_google(page)
    page.goto("/")
    notice = page.locator("[data-captcha-unavailable]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("cannot reach Google's reCAPTCHA service")
    page.get_by_label("Photo").set_input_files(str(old_photo))
    page.get_by_role("button", name="Colorize").click()
    page.wait_for_timeout(300)
    assert page.url.rstrip("/") == live_server.url  # not sent
    assert page.get_by_label("Photo").evaluate("input => input.files.length") == 1
    assert not ColorizationJob.objects.exists()
    assert_accessible(page)


def test_with_the_local_switch_an_upload_needs_no_google(browser, live_server, settings, engine_model, old_photo):
    settings.RECAPTCHA_ENABLED = False  # COLORSITE_WITHOUT_RECAPTCHA=true in a local run
    page = new_page(browser, live_server, viewport={"width": 1280, "height": 900})
    without_google(page)
    page.goto("/")
    assert page.locator("[data-captcha]").count() == 0
    page.get_by_label("Photo").set_input_files(str(old_photo))
    page.get_by_role("button", name="Colorize").click()
    page.wait_for_url("**/jobs/*/")
    assert ColorizationJob.objects.get().display_name == "Old family photo"


def test_a_colour_photo_gets_a_notice_before_it_is_sent(browser, live_server, settings, engine_model, recaptcha_passes):
    """Issue #24: a colour photo was colorized without a word, and came back worse."""
    from pathlib import Path

    coffee = Path(settings.SHARED_DATA_DIR) / "datasets" / "samples" / "coffee.jpg"
    if not coffee.exists():
        pytest.skip(f"{coffee} is not there")
    page = new_page(browser, live_server, **DESKTOP)
    page.goto("/")
    notice = page.locator("[data-colour-notice]")
    photo = page.get_by_label("Photo")
    photo.set_input_files(str(coffee))
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("“coffee.jpg” already has colour")
    assert not ColorizationJob.objects.exists()  # nothing sent yet
    assert_accessible(page)

    page.get_by_role("button", name="Keep its colours (leave it out)").click()
    expect(notice).to_be_hidden()
    assert photo.evaluate("input => input.files.length") == 0

    photo.set_input_files(str(coffee))
    page.get_by_role("button", name="Colorize the grey version").click()
    expect(notice).to_be_hidden()
    page.locator("textarea[name=g-recaptcha-response]").wait_for(state="attached")
    page.get_by_role("button", name="Colorize").click()
    page.wait_for_url("**/jobs/*/")
    assert ColorizationJob.objects.get().had_colour
    expect(page.locator("[data-had-colour]")).to_be_visible()


def test_the_admins_status_page_passes_axe_under_the_csp(browser, live_server, admin_user):
    from datetime import timedelta

    from django.utils import timezone

    from gallery.models import WorkerModel

    WorkerModel.objects.create(worker="ip-10-0-0-7:4242", model_name="compact", seen_at=timezone.now())
    ColorizationJobFactory(succeeded=True)
    ColorizationJobFactory(failed=True, finished_at=timezone.now() - timedelta(hours=3))
    page = new_page(browser, live_server, **DESKTOP)
    page.goto("/admin/login/?next=/admin/status/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Jobs per hour, last 24 hours").wait_for()
    assert page.locator("[data-chart] rect").count() == 2 * (24 + 24 * 7)
    shot(page, "admin-status")
    assert_accessible(page)


# --- Without JavaScript, and under the CSP -----------------------------------------------------


def test_site_is_usable_without_javascript(browser, live_server, engine_model):
    page = new_page(browser, live_server, java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page.goto("/")
    assert page.get_by_text("JavaScript is off").is_visible()
    assert page.get_by_label("Photo").is_visible()
    shot(page, "no-javascript")


def test_pages_run_under_the_csp_and_a_violation_would_be_seen(browser, live_server, engine_model):
    from gallery.tests.factories import ColorizationJobFactory

    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)
    # The owner's page: with every control's script.
    page = remembered_by_a_new_browser(browser, live_server, [job], viewport={"width": 1280, "height": 900})
    page.goto(job.get_absolute_url())
    assert page.evaluate("document.documentElement.classList.contains('js')")  # the nonced inline script ran
    assert page.locator("[data-compare]").is_visible()
    # The check itself works: an injected inline script is refused and reported.
    page.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "window.injected = 1"; document.body.appendChild(s); }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.injected") is None
    assert any("script-src" in text for text in CSP_VIOLATIONS)
    CSP_VIOLATIONS.clear()
