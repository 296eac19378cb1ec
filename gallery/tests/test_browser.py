"""Browser tests: Playwright drives Debian's Chromium through the whole site, with a real
worker running the jobs. Screenshots land in test-artifacts/screenshots/ (ignored by git);
with UPDATE_SCREENSHOTS=1 (`make screenshots`) they replace the README's, in docs/screenshots/.
The set-up (Chromium, the CSP watch, the reCAPTCHA stand-in) is colorsite.testing.browser's.
The hint tool, vividness and variants are in test_browser_hints."""

from pathlib import Path

from django.conf import settings
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from colorsite.testing.browser import BROWSER_TEST, new_page, shot, upload
from gallery.models import FILE_FIELDS, ColorizationJob
from gallery.services import moderation, web
from gallery.services.worker import job_run
from gallery.tests.browser_sessions import remembered_by_a_new_browser

pytestmark = BROWSER_TEST


def test_upload_wait_compare_download_and_gallery(
    browser, live_server, worker, engine_model, recaptcha_passes, old_photo, tmp_path
):
    page = new_page(browser, live_server, viewport={"width": 1280, "height": 900})
    upload(page, old_photo)
    page.locator("[data-dropzone-preview]").wait_for(state="visible")
    shot(page, "upload", full_page=True)

    page.get_by_role("button", name="Colorize").click()
    page.wait_for_url("**/jobs/*/")
    job = ColorizationJob.objects.get()
    assert job.display_name == "Old family photo"
    assert job.gallery_requested
    assert recaptcha_passes == ["browser-test-token"]

    # The page follows the job by itself and swaps in the result.
    page.locator("[data-compare]").wait_for(state="visible", timeout=120_000)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error_message
    page.locator(".compare-after").evaluate("img => img.decode()")
    shot(page, "result", full_page=True)

    # The slider: keyboard and pointer both move the split.
    slider = page.get_by_label("Before/after split: how much of the original to show")
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    assert page.locator("[data-compare]").evaluate("f => f.style.getPropertyValue('--pos')") == "70%"
    box = page.locator("[data-compare]").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2)
    position = float(page.locator("[data-compare]").evaluate("f => f.style.getPropertyValue('--pos')").rstrip("%"))
    assert 15 <= position <= 35
    shot(page, "slider")

    # Downloads: PNG and JPEG, at full resolution, named after the photo.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PNG").click()
    download = download_info.value
    assert download.suggested_filename == "Old family photo-colorized.png"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert Image.open(target).size == (384, 384)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download JPEG").click()
    assert download_info.value.suggested_filename.endswith(".jpg")

    # A phone-sized view of the same page.
    phone = new_page(
        browser, live_server, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    phone.goto(job.get_absolute_url())
    phone.locator("[data-compare]").wait_for(state="visible")
    shot(phone, "result-phone")

    # Nothing in the gallery before an admin approves; then it is there, with the slider.
    page.goto(reverse("gallery:gallery"))
    assert page.get_by_text("Nothing here yet.").is_visible()
    moderation.jobs_approve(jobs=[job])
    page.goto(reverse("gallery:gallery"))
    page.get_by_role("link", name="A colorized photo").click()  # never the file name or an internal number
    page.locator("[data-compare]").wait_for(state="visible")
    assert str(job.public_id) not in page.content()
    # A few more approved photos (scikit-image's samples, through the same worker) for the
    # gallery's screenshot.
    others = [sample_job(name) for name in ("camera", "chelsea", "coffee")]
    for _ in range(600):
        if not ColorizationJob.objects.filter(pk__in=[o.pk for o in others], status__in=["queued", "running"]).exists():
            break
        page.wait_for_timeout(200)
    moderation.jobs_approve(jobs=others)
    page.goto(reverse("gallery:gallery"))
    assert page.locator(".gallery-card").count() == 4
    assert page.get_by_text("Our cat Chelsea").is_visible()  # the caption its owner gave
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    shot(page, "gallery")


def sample_job(name):
    from skimage import data

    image = Image.fromarray(getattr(data, name)()).convert("L")
    image.thumbnail((512, 512))
    titles = {"camera": "Cameraman, 1950s", "chelsea": "Our cat Chelsea", "coffee": "Morning coffee"}
    model_name = ColorizationJob.objects.earliest("pk").model_name
    job = web.job_create(image=image, display_name=titles[name], model_name=model_name)
    return web.job_request_gallery(job=job, caption=titles[name])  # the owner's caption: its public title


def test_result_page_follows_the_job_live_without_reloading(
    browser, live_server, engine_model, recaptcha_passes, old_photo, run_worker
):
    page = new_page(browser, live_server, viewport={"width": 1280, "height": 800})
    upload(page, old_photo, gallery=False)
    page.get_by_role("button", name="Colorize").click()
    page.wait_for_url("**/jobs/*/")
    page.get_by_text("Waiting for a free worker").wait_for()
    page.wait_for_timeout(1500)  # let the "time so far" counter tick
    assert int(page.locator("[data-elapsed]").text_content()) >= 1
    shot(page, "waiting")
    page.evaluate("window.stillTheSamePage = true")

    run_worker()  # the real worker, now, in this thread

    page.locator("[data-compare]").wait_for(state="visible", timeout=60_000)
    assert page.evaluate("window.stillTheSamePage") is True
    assert "ready" in page.locator("[data-announce]").text_content()


def test_failed_job_shows_the_reason_and_can_be_retried(browser, live_server, engine_model, old_photo, run_worker):
    job = web.job_create(image=Image.open(old_photo), display_name="Old family photo.jpg", model_name=engine_model)
    ColorizationJob.objects.filter(pk=job.pk).update(model_name="retired-model")
    job_run(job_id=job.pk)  # fails: that model is gone
    page = remembered_by_a_new_browser(browser, live_server, [job], viewport={"width": 1280, "height": 800})
    page.goto(job.get_absolute_url())
    assert page.get_by_text("We could not colorize this photo").is_visible()
    assert "retired-model" in page.locator("[data-error]").text_content()
    shot(page, "failed")

    page.get_by_label("Try again with").select_option(engine_model)
    page.get_by_role("button", name="Try again").click()
    page.get_by_text("Waiting for a free worker").wait_for()
    run_worker()
    page.locator("[data-compare]").wait_for(state="visible", timeout=60_000)
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.model_name == engine_model


def test_a_photo_can_be_dropped_on_the_upload_area(browser, live_server, engine_model, old_photo):
    import base64

    page = new_page(browser, live_server, viewport={"width": 1280, "height": 900})
    page.goto("/")
    payload = base64.b64encode(old_photo.read_bytes()).decode()
    page.evaluate(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.jpg", {type: "image/jpeg"}));
            const zone = document.querySelector("[data-dropzone]");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }""",
        payload,
    )
    assert page.get_by_label("Photo").evaluate("input => input.files[0].name") == "dropped.jpg"
    page.locator("[data-dropzone-preview]").wait_for(state="visible")


def test_bad_file_gets_a_friendly_message(browser, live_server, engine_model, recaptcha_passes, tmp_path):
    page = new_page(browser, live_server, viewport={"width": 1280, "height": 900})
    fake = tmp_path / "holiday.jpg"
    fake.write_bytes(b"definitely not a picture")
    upload(page, fake, gallery=False)
    page.get_by_role("button", name="Colorize").click()
    page.locator(".invalid-feedback").wait_for(state="visible")
    assert not ColorizationJob.objects.exists()
    shot(page, "upload-error")


def test_admin_reviews_jobs_with_previews(browser, live_server, admin_user):
    from gallery.tests.factories import ColorizationJobFactory

    ColorizationJobFactory(succeeded=True, gallery_requested=True, display_name="Harbour, 1931")
    ColorizationJobFactory(public=True, display_name="Wedding")
    ColorizationJobFactory(failed=True, display_name="Scan 12")
    page = new_page(browser, live_server, viewport={"width": 1440, "height": 760})
    page.goto("/admin/login/?next=/admin/gallery/colorizationjob/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Harbour, 1931", exact=True).wait_for()
    assert page.get_by_role("link", name="Preview of Harbour, 1931").count() == 1  # the preview link is named too
    page.get_by_role("row", name="Harbour, 1931").get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("approve_for_gallery")
    page.get_by_role("button", name="Run").click()
    page.get_by_text("1 job(s) approved").wait_for()
    assert ColorizationJob.objects.get(display_name="Harbour, 1931").is_public
    shot(page, "admin")


def test_delete_this_photo_with_its_confirmation_page(browser, live_server, engine_model):
    from gallery.tests.factories import ColorizationJobFactory

    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)
    page = remembered_by_a_new_browser(
        browser, live_server, [job], java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page.goto(job.get_absolute_url())
    page.get_by_role("link", name="Delete this photo").click()
    page.get_by_role("button", name="Delete this photo").click()
    page.get_by_text(f"“{job.display_name}” was deleted, with its colorized results.").wait_for()
    assert not ColorizationJob.objects.filter(pk=job.pk).exists()


def test_my_photos_shows_a_photos_versions_and_deletes_them_all_after_asking(browser, live_server, engine_model):
    """Issue #24: four rows all named "migrant_mother", downloads all named alike, one-click
    delete, and re-runs (each holding the original) surviving their photo's deletion."""
    from gallery.tests.factories import ColorizationJobFactory

    upload = ColorizationJobFactory(succeeded=True, model_name=engine_model, display_name="migrant_mother")
    less_vivid = ColorizationJobFactory(
        succeeded=True, model_name=engine_model, display_name="migrant_mother", parent=upload, vividness=0.25
    )
    hinted = ColorizationJobFactory(
        succeeded=True,
        model_name=engine_model,
        display_name="migrant_mother",
        parent=less_vivid,
        vividness=0.25,
        hints=[{"x": 1, "y": 1, "color": "#336699"}] * 10,
    )
    stored = {
        getattr(job, field).name for job in (upload, less_vivid, hinted) for field in FILE_FIELDS if getattr(job, field)
    }
    page = remembered_by_a_new_browser(browser, live_server, [upload, less_vivid, hinted], java_script_enabled=False)
    page.goto(reverse("gallery:my_photos"))
    assert page.locator(".job-row").count() == 1  # one photo, not three rows
    versions = page.locator("[data-versions]")
    versions.get_by_text("3 versions").click()
    names = set()
    for job in (upload, less_vivid, hinted):
        with page.expect_download() as download:
            versions.get_by_role("link", name=f"Download {job.version_label}", exact=True).click()
        names.add(download.value.suggested_filename)
    assert names == {
        "migrant_mother-colorized.png",
        "migrant_mother-colorized-vivid-0.25.png",
        "migrant_mother-colorized-vivid-0.25-10-points.png",
    }

    page.get_by_role("link", name="Delete… migrant_mother").click()
    expect(page.locator("[data-delete-versions] li")).to_have_count(3)
    page.get_by_role("link", name="Keep them").click()
    page.wait_for_url("**/my-photos/")
    assert ColorizationJob.objects.count() == 3  # cancelling deleted nothing

    page.get_by_role("link", name="Delete… migrant_mother").click()
    page.get_by_role("button", name="Delete all 3 versions").click()
    page.get_by_text("“migrant_mother” was deleted, with its colorized results and its 2 other versions.").wait_for()
    assert not ColorizationJob.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not [name for name in stored if (media / name).exists()]  # nothing of them left in storage
