"""Browser tests of colouring a finished photo again: the hint tool (clicking, dragging, the
keyboard, zoom), the vividness slider and picking a variant. The set-up is
colorsite.testing.browser's."""

import re

import pytest
from playwright.sync_api import expect

from colorsite.testing.browser import BROWSER_TEST, assert_accessible, new_page, shot, upload
from gallery.models import ColorizationJob

pytestmark = BROWSER_TEST


def page_with_the_hint_tool(browser, live_server, hint_model, photo):
    """A desktop page on which ``photo`` was colorized by ``hint_model``, its hint tool shown
    (scrolling at once, not smoothly, so that what the test measures stays where it is)."""
    page = new_page(browser, live_server, viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    upload(page, photo, gallery=False)
    if page.locator("select[name=model]").count():  # a list only with more than one model installed
        page.get_by_label("Model").select_option(hint_model)
    page.get_by_role("button", name="Colorize").click()
    page.locator("[data-hints]").wait_for(state="visible", timeout=120_000)
    return page


def click_photo(page, x, y):
    """Click the result picture at (x, y), fractions of its width and height."""
    layer = page.locator("[data-hint-layer]")
    layer.scroll_into_view_if_needed()
    box = layer.bounding_box()
    page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] * y)


def point_of(page, number):
    """(x, y) of colour point ``number``, from its exact-position fields."""
    return tuple(int(page.get_by_label(f"Point {number}: {axis} in pixels").input_value()) for axis in "xy")


def test_colour_hints_make_a_new_job(browser, live_server, worker, hint_model, recaptcha_passes, old_photo):
    page = page_with_the_hint_tool(browser, live_server, hint_model, old_photo)
    first = ColorizationJob.objects.get()

    page.get_by_role("button", name="Place colour points").click()
    click_photo(page, 0.3, 0.4)
    page.get_by_role("button", name="Add a point in the middle").click()
    page.get_by_label("Colour of point 2").fill("#2060c0")
    assert page.locator(".hint-marker").count() == 2

    page.get_by_role("button", name="Colorize with these colours").click()
    page.wait_for_url(lambda url: str(first.public_id) not in url)
    page.locator("[data-compare]").wait_for(state="visible", timeout=120_000)
    child = ColorizationJob.objects.exclude(pk=first.pk).get()
    assert child.parent_id == first.pk
    assert child.status == "succeeded"
    assert len(child.hints) == 2
    assert child.hints[1]["color"] == "#2060c0"


def test_the_hint_tool_works_on_the_one_picture_and_a_point_starts_from_the_likeliest_colour(
    browser, live_server, worker, hint_model, recaptcha_passes, old_photo
):
    page = page_with_the_hint_tool(browser, live_server, hint_model, old_photo)
    job = ColorizationJob.objects.get()
    figure = page.locator("[data-compare]")
    assert page.locator(f'img[src="{job.result_preview_url}"]').count() == 1  # one picture on the page

    page.get_by_role("button", name="Place colour points").click()
    expect(figure).to_have_class(re.compile(r"\bis-editing\b"))
    assert page.locator(".compare-range").is_hidden()  # the split slider steps aside
    page.get_by_role("button", name="Show the original").click()
    expect(figure).to_have_class(re.compile(r"\bshows-original\b"))
    page.get_by_role("button", name="Show the original").click()

    click_photo(page, 0.5, 0.3)
    assert page.get_by_label("Point 1: x in pixels").is_hidden()  # exact positions only on request
    page.get_by_label("Exact positions (x and y in pixels)").check()
    expected = job.suggested_colours(*point_of(page, 1))
    assert expected
    expect(page.get_by_label("Colour of point 1")).to_have_value(expected[0]["color"])  # the likeliest
    swatches = page.get_by_role("group", name="Suggested colours for point 1").get_by_role("button")
    assert swatches.count() == len(expected)
    swatches.nth(swatches.count() - 1).click()
    assert page.get_by_label("Colour of point 1").input_value() == expected[-1]["color"]

    add = page.get_by_role("button", name="Add a point in the middle")
    add.click()
    add.click()
    assert page.locator(".hint-marker").count() == 3
    shot(page.locator("#job-panel"), "hints")

    # The keyboard focus stays where it was when the list is redrawn.
    page.get_by_label("Point 2: x in pixels").fill("40")
    page.get_by_label("Point 2: x in pixels").press("Tab")  # change -> redraw; Tab moved on to y
    expect(page.get_by_label("Point 2: y in pixels")).to_be_focused()
    page.get_by_role("button", name="Remove point 1").focus()
    page.keyboard.press("Enter")
    assert page.locator(".hint-marker").count() == 2
    expect(page.get_by_role("button", name="Remove point 1")).to_be_focused()  # the next one

    # Undo brings the removed point back; clear empties the list and undo undoes that too.
    page.get_by_role("button", name="Undo").click()
    assert page.locator(".hint-marker").count() == 3
    page.get_by_role("button", name="Clear all").click()
    assert page.locator(".hint-marker").count() == 0
    assert page.get_by_text("No colour points yet.").is_visible()
    page.get_by_role("button", name="Undo").click()
    assert page.locator(".hint-marker").count() == 3
    assert page.get_by_label("Point 2: x in pixels").input_value() == "40"


def test_a_point_is_dragged_with_the_mouse_and_moved_and_removed_with_the_keyboard(
    browser, live_server, worker, hint_model, recaptcha_passes, old_photo
):

    page = page_with_the_hint_tool(browser, live_server, hint_model, old_photo)
    page.get_by_role("button", name="Place colour points").click()
    click_photo(page, 0.25, 0.25)
    page.get_by_label("Exact positions (x and y in pixels)").check()
    before = point_of(page, 1)

    page.locator("[data-compare]").scroll_into_view_if_needed()
    marker = page.locator(".hint-marker").first
    box, layer = marker.bounding_box(), page.locator("[data-hint-layer]").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(layer["x"] + layer["width"] * 0.75, layer["y"] + layer["height"] * 0.6, steps=8)
    page.mouse.up()
    after = point_of(page, 1)
    assert page.locator(".hint-marker").count() == 1  # moved, not a second point
    assert abs(after[0] - 0.75 * 384) <= 3
    assert abs(after[1] - 0.6 * 384) <= 3
    assert after != before
    expected = ColorizationJob.objects.get().suggested_colours(*after)
    expect(page.get_by_label("Colour of point 1")).to_have_value(expected[0]["color"])  # still the model's

    marker.focus()
    page.keyboard.press("ArrowLeft")
    assert point_of(page, 1) == (after[0] - 4, after[1])  # 1% of the photo's long side
    page.keyboard.press("Shift+ArrowUp")
    assert point_of(page, 1) == (after[0] - 4, after[1] - 19)
    expect(page.locator(".hint-marker").first).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("Delete")
    assert page.locator(".hint-marker").count() == 0


def test_zooming_in_makes_the_picture_bigger_and_points_still_land_where_clicked(
    browser, live_server, worker, hint_model, recaptcha_passes, old_photo
):
    page = page_with_the_hint_tool(browser, live_server, hint_model, old_photo)
    width = page.locator("[data-compare]").bounding_box()["width"]
    page.get_by_role("button", name="Zoom in").click()
    assert page.locator("[data-compare]").bounding_box()["width"] == pytest.approx(2 * width, abs=2)
    expect(page.locator("[data-compare]")).to_have_class(re.compile(r"\bis-editing\b"))
    page.locator("[data-compare-viewport]").evaluate("frame => frame.scrollTo(0, 0)")
    page.locator("[data-compare-viewport]").evaluate("frame => frame.scrollIntoView({block: 'start'})")
    box = page.locator("[data-compare-viewport]").bounding_box()
    page.mouse.click(box["x"] + 0.25 * width, box["y"] + 20)  # a quarter of the unzoomed width
    page.get_by_label("Exact positions (x and y in pixels)").check()
    x, _ = point_of(page, 1)
    assert abs(x - 384 / 8) <= 2  # an eighth of the photo at 2x
    page.get_by_role("button", name="Zoom out").click()
    assert page.locator("[data-compare]").bounding_box()["width"] == pytest.approx(width, abs=2)


def test_vividness_from_the_upload_to_the_result_pages_slider(
    browser, live_server, worker, engine_model, recaptcha_passes, old_photo
):
    page = new_page(browser, live_server, viewport={"width": 1280, "height": 900})
    upload(page, old_photo, gallery=False)
    slider = page.get_by_label("Vividness")
    slider.fill("0.3")
    assert page.locator("[data-vividness-value]").text_content() == "0.30"
    page.get_by_role("button", name="Colorize").click()
    page.locator("[data-compare]").wait_for(state="visible", timeout=120_000)
    first = ColorizationJob.objects.get()
    assert first.vividness == 0.3
    assert page.locator("[data-vividness-fact]").text_content().startswith("0.30")

    result_slider = page.get_by_label("Vividness")
    assert result_slider.input_value() == "0.3"
    result_slider.fill("0.65")
    expect(page.locator("[data-vividness-form] [data-vividness-value]")).to_have_text("0.65")
    page.get_by_role("button", name="Colorize again").click()
    page.wait_for_url(lambda url: str(first.public_id) not in url)
    page.locator("[data-compare]").wait_for(state="visible", timeout=120_000)
    child = ColorizationJob.objects.exclude(pk=first.pk).get()
    assert (child.parent_id, child.vividness, child.status) == (first.pk, 0.65, "succeeded")


@pytest.mark.parametrize("java_script_enabled", [True, False])
def test_picking_a_variant_makes_it_the_result_shown_and_downloaded(
    browser, live_server, worker, engine_model, recaptcha_passes, old_photo, java_script_enabled
):
    page = new_page(browser, live_server, viewport={"width": 1280, "height": 900})
    upload(page, old_photo, gallery=False)
    page.get_by_role("button", name="Colorize").click()
    page.locator("[data-variants]").wait_for(state="visible", timeout=120_000)
    job = ColorizationJob.objects.get()
    shot(page.locator("[data-variants]"), "variants")
    first_result = job.result.name
    if not java_script_enabled:  # the same browser (its session owns the photo), its JavaScript off
        cookies = page.context.cookies()
        page.context.close()
        page = new_page(browser, live_server, viewport={"width": 1280, "height": 900}, java_script_enabled=False)
        page.context.add_cookies(cookies)
        page.goto(job.get_absolute_url())

    page.get_by_role("button", name="Vivid").click()
    vivid = page.get_by_role("button", name="Vivid")
    expect(vivid).to_have_attribute("aria-pressed", "true", timeout=60_000)
    job.refresh_from_db()
    assert (job.variant, job.status) == ("vivid", "succeeded")
    assert job.result.name != first_result
    assert page.locator(".compare-after").get_attribute("src") == job.result_picture["src"]
    assert page.get_by_role("link", name="Download PNG").get_attribute("href") == job.png_download_url
    assert page.get_by_role("button", name="Balanced").get_attribute("aria-pressed") == "false"
