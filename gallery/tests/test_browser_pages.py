"""Browser tests for the lighter, friendlier pages (issue 11): the weight of a 14 MP photo's
result page, batch upload with its live page and ZIP, My photos, progress, the copy-link
button, the smaller points, and axe-core's accessibility check on the site's own pages.
The set-up (Chromium, the CSP watch, the reCAPTCHA stand-in) is colorsite.testing.browser's."""

import io
import zipfile

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from colorsite.testing.axe import axe_violations
from colorsite.testing.browser import BROWSER_TEST, assert_accessible, new_page, shot
from gallery.models import ColorizationJob
from gallery.services import moderation, web
from gallery.services.worker import job_run
from gallery.tests.factories import ColorizationJobFactory

pytestmark = BROWSER_TEST
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def scanned_photo(width, height, *, seed=0):
    """A grey "scan" of a real photograph (scikit-image's astronaut) at any size, with film
    grain, so it weighs what a real scan weighs."""
    import numpy as np
    from skimage import data

    image = Image.fromarray(data.astronaut()).convert("L").resize((width, height), Image.Resampling.BICUBIC)
    grain = np.random.default_rng(seed).normal(0, 6, (height, width))
    return Image.fromarray(np.clip(np.asarray(image, dtype=np.float32) + grain, 0, 255).astype(np.uint8), "L")


def finished_job(engine_model, image, name="Scan"):
    job = web.job_create(image=image, display_name=name, model_name=engine_model)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error_message
    return job


# --- Light pages ---------------------------------------------------------------------------------


def test_a_14_megapixel_photos_result_page_transfers_at_most_1_5_mb(browser, live_server, engine_model, tmp_path):
    job = finished_job(engine_model, scanned_photo(4320, 3240))  # 14.0 MP
    page = new_page(browser, live_server, **DESKTOP)
    transferred = []

    def count(request):
        sizes = request.sizes()
        transferred.append((request.url, sizes["responseHeadersSize"] + sizes["responseBodySize"]))

    page.on("requestfinished", count)
    page.goto(job.get_absolute_url(), wait_until="networkidle")
    page.locator(".compare-after").evaluate("img => img.decode()")
    page.locator(".compare-before").evaluate("img => img.decode()")
    page.wait_for_load_state("networkidle")
    total = sum(size for _, size in transferred)
    report = "\n".join(f"{size:>9} {url}" for url, size in transferred) + f"\n{total:>9} in all"
    (tmp_path / "weight.txt").write_text(report)
    print(f"\n14 MP result page ({job.original_width}x{job.original_height}):\n{report}")
    assert total <= 1_500_000, report
    assert job.result_preview_url in page.locator(".compare-after").evaluate("img => img.currentSrc")
    # The downloads stay at full resolution.
    assert page.get_by_role("link", name="Download PNG").get_attribute("href") == job.png_download_url


def test_the_waiting_photo_keeps_its_proportions(browser, live_server, engine_model):
    job = web.job_create(image=scanned_photo(300, 900), display_name="Tall scan", model_name=engine_model)
    page = new_page(browser, live_server, viewport={"width": 1280, "height": 800})
    page.goto(job.get_absolute_url())
    preview = page.locator(".job-pending-preview")
    preview.evaluate("img => img.decode()")
    box = preview.bounding_box()
    assert box["height"] <= 800 / 2 + 1
    assert box["width"] / box["height"] == pytest.approx(300 / 900, rel=0.02)


# --- Progress ------------------------------------------------------------------------------------


def test_a_waiting_job_shows_its_place_in_the_queue(browser, live_server, engine_model, old_photo):
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from gallery import selectors

    now = timezone.now()
    for seconds in (3, 4, 5):  # recent runs, for the estimate
        ColorizationJobFactory(succeeded=True, started_at=now - timedelta(seconds=seconds), finished_at=now)
    cache.delete(selectors.TYPICAL_RUN_CACHE_KEY)
    image = Image.open(old_photo)
    first = web.job_create(image=image, display_name="First", model_name=engine_model)
    job = web.job_create(image=image, display_name="Second", model_name=engine_model)
    page = new_page(browser, live_server, **DESKTOP)
    page.goto(job.get_absolute_url())
    assert page.locator("[data-queue-position]").text_content() == "Number 2 in the queue"
    assert page.locator("[data-estimate]").text_content() == "about 10 seconds"  # 1 ahead, then its own: 2 x 4 s
    ColorizationJob.objects.filter(pk=first.pk).update(status="succeeded")  # the one ahead is done
    page.get_by_text("Number 1 in the queue").wait_for()  # updated live
    shot(page, "progress")


# --- Batch upload --------------------------------------------------------------------------------


@pytest.fixture
def three_photos(tmp_path):
    from skimage import data

    paths = []
    for name in ("camera", "coffee", "chelsea"):
        image = Image.fromarray(getattr(data, name)()).convert("L")
        image.thumbnail((480, 480))
        path = tmp_path / f"Shoebox {name}.jpg"
        image.save(path, "JPEG", quality=88)
        paths.append(path)
    return paths


def test_three_photos_at_once_make_a_batch_with_a_live_page_and_a_zip(
    browser, live_server, worker, engine_model, recaptcha_passes, three_photos, tmp_path
):
    page = new_page(browser, live_server, **DESKTOP)
    page.goto("/")
    page.get_by_label("Photos").set_input_files([str(path) for path in three_photos])
    page.locator("[data-dropzone-files] li img").nth(2).wait_for(state="visible")
    page.locator("textarea[name=g-recaptcha-response]").wait_for(state="attached")
    shot(page, "batch-upload", full_page=True)
    page.get_by_role("button", name="Colorize").click()
    page.wait_for_url("**/batches/*/")
    assert ColorizationJob.objects.count() == 3 and len(recaptcha_passes) == 1

    page.get_by_text("All done: 3 of 3 colorized").wait_for(timeout=120_000)  # live, no reload
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    shot(page, "batch", full_page=True)
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all").click()
    target = tmp_path / "all.zip"
    download_info.value.save_as(target)
    with zipfile.ZipFile(target) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"Shoebox {name}-colorized.png" for name in ("camera", "coffee", "chelsea"))
        assert all(Image.open(io.BytesIO(archive.read(name))).mode == "RGB" for name in names)

    # The same browser remembers them: My photos.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My photos").click()
    page.wait_for_url("**/my-photos/")
    assert page.locator(".job-row").count() == 3
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    shot(page, "my-photos", full_page=True)
    assert_accessible(page)
    # Delete asks first, on a page of its own; "Keep it" deletes nothing.
    page.get_by_role("link", name="Delete… Shoebox coffee").click()
    page.get_by_role("link", name="Keep it").click()
    page.wait_for_url("**/my-photos/")
    assert page.locator(".job-row").count() == 3 and ColorizationJob.objects.count() == 3
    page.get_by_role("link", name="Delete… Shoebox coffee").click()
    page.get_by_role("button", name="Delete this photo").click()
    page.get_by_text("“Shoebox coffee” was deleted, with its colorized results.").wait_for()
    assert page.locator(".job-row").count() == 2 and ColorizationJob.objects.count() == 2


def test_a_dropped_batch_fills_the_file_input(browser, live_server, engine_model, three_photos):
    import base64

    page = new_page(browser, live_server, **DESKTOP)
    page.goto("/")
    payloads = [[path.name, base64.b64encode(path.read_bytes()).decode()] for path in three_photos]
    page.evaluate(
        """(files) => {
            const transfer = new DataTransfer();
            for (const [name, data] of files) {
                const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, {type: "image/jpeg"}));
            }
            const zone = document.querySelector("[data-dropzone]");
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }""",
        payloads,
    )
    assert page.get_by_label("Photos").evaluate("input => input.files.length") == 3
    assert page.locator("[data-dropzone-files] li").count() == 3


def test_too_many_files_are_refused_before_sending(browser, live_server, settings, engine_model, three_photos):
    settings.GALLERY_BATCH_MAX_FILES = 2
    page = new_page(browser, live_server, **DESKTOP)
    page.goto("/")
    page.get_by_label("Photos").set_input_files([str(path) for path in three_photos])
    assert "You chose 3 files; at most 2 can be sent at once." in page.locator("[data-dropzone-warning]").text_content()
    page.get_by_role("button", name="Colorize").click()
    page.wait_for_timeout(300)
    assert page.url.rstrip("/") == live_server.url and not ColorizationJob.objects.exists()


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
    page = new_page(browser, live_server, **PHONE)
    page.goto(url)
    heights = page.evaluate(
        """() => [...document.querySelectorAll(".btn, button, input[type=submit]")]
                  .filter(el => el.checkVisibility())
                  .map(el => [el.textContent.trim(), el.getBoundingClientRect().height])"""
    )
    assert heights and all(height >= 44 for _, height in heights), heights


# --- axe-core on the site's own pages ------------------------------------------------------------


@pytest.fixture
def site_pages(engine_model):
    """A URL for each of the site's own pages, with something on it."""
    batch_jobs = [ColorizationJobFactory(succeeded=True, model_name=engine_model, batch=None) for _ in range(2)]
    public = ColorizationJobFactory(public=True, model_name=engine_model)
    moderation.jobs_approve(jobs=[public])
    import uuid

    batch = uuid.uuid4()
    ColorizationJob.objects.filter(pk__in=[job.pk for job in batch_jobs]).update(batch=batch)
    waiting = ColorizationJobFactory(model_name=engine_model)
    failed = ColorizationJobFactory(failed=True, model_name=engine_model)
    return {
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


@pytest.mark.parametrize(
    "where", ["upload", "result", "waiting", "failed", "batch", "my-photos", "gallery", "gallery-detail", "delete"]
)
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_axe_finds_no_violations(browser, live_server, site_pages, where, device):
    page = new_page(browser, live_server, **(DESKTOP if device == "desktop" else PHONE))
    page.goto(site_pages[where], wait_until="networkidle")
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
