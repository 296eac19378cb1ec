"""A shared link in a real browser (issue #34): a stranger sees the photo and its downloads,
none of the owner's controls, and the page passes axe; the owner's browser still has them."""

from playwright.sync_api import expect

from colorsite.testing.browser import BROWSER_TEST, DESKTOP, PHONE, assert_accessible, new_page, shot
from gallery.tests.browser_sessions import remembered_by_a_new_browser
from gallery.tests.factories import ColorizationJobFactory

pytestmark = BROWSER_TEST


def test_a_stranger_with_the_link_sees_the_photo_and_no_controls(browser, live_server, engine_model):
    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)
    page = new_page(browser, live_server, **DESKTOP)
    page.goto(job.get_absolute_url())
    expect(page.get_by_role("link", name="Download PNG")).to_be_visible()
    expect(page.locator("[data-viewer-note]")).to_be_visible()
    for control in ("Delete this photo", "Show it in the public gallery", "Colorize again"):
        expect(page.get_by_text(control)).to_have_count(0)
    assert_accessible(page)
    shot(page, "shared-view", full_page=True)


def test_a_stranger_on_a_phone_gets_the_same_page(browser, live_server, engine_model):
    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)
    page = new_page(browser, live_server, **PHONE)
    page.goto(job.get_absolute_url())
    expect(page.locator("[data-viewer-note]")).to_be_visible()
    assert_accessible(page)


def test_the_owners_browser_keeps_its_controls(browser, live_server, engine_model):
    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)
    page = remembered_by_a_new_browser(browser, live_server, [job], **DESKTOP)
    page.goto(job.get_absolute_url())
    expect(page.get_by_text("Delete this photo")).to_be_visible()
    expect(page.locator("[data-viewer-note]")).to_have_count(0)
