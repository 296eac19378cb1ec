"""Browser tests for the lighter, friendlier pages (issue 11): the weight of a 14 MP photo's
result page, progress, and batch upload with its live page and ZIP. The smaller points, axe-core's
accessibility check and the site without Google are in test_browser_access. The set-up (Chromium,
the CSP watch, the reCAPTCHA stand-in) is colorsite.testing.browser's."""

import io
import zipfile

import pytest
from PIL import Image

from colorsite.testing.browser import BROWSER_TEST, DESKTOP, assert_accessible, new_page, shot
from gallery.models import ColorizationJob
from gallery.services import web
from gallery.services.worker import job_run
from gallery.tests.browser_sessions import remembered_by_a_new_browser
from gallery.tests.factories import ColorizationJobFactory

pytestmark = BROWSER_TEST


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
    page = remembered_by_a_new_browser(browser, live_server, [job], **DESKTOP)  # the owner's page, the heaviest
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
    assert ColorizationJob.objects.count() == 3
    assert len(recaptcha_passes) == 1

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
    assert page.locator(".job-row").count() == 3
    assert ColorizationJob.objects.count() == 3
    page.get_by_role("link", name="Delete… Shoebox coffee").click()
    page.get_by_role("button", name="Delete this photo").click()
    page.get_by_text("“Shoebox coffee” was deleted, with its colorized results.").wait_for()
    assert page.locator(".job-row").count() == 2
    assert ColorizationJob.objects.count() == 2


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
    assert page.url.rstrip("/") == live_server.url
    assert not ColorizationJob.objects.exists()
