"""Review means review (issue #34): what the public would see anew waits for a moderator."""

import pytest

from gallery import selectors
from gallery.models import ColorizationJob
from gallery.services import web
from gallery.tests.factories import ColorizationJobFactory

pytestmark = pytest.mark.django_db
Review = ColorizationJob.Review


def test_a_caption_changed_after_approval_waits_for_review_again():
    job = ColorizationJobFactory(public=True, caption="Grandma, 1921")
    web.job_request_gallery(job=job, caption="Something else entirely", taken_year=1921)
    job.refresh_from_db()
    assert job.gallery_review == Review.PENDING
    assert list(selectors.gallery_jobs()) == []


def test_a_year_changed_after_approval_waits_for_review_again():
    job = ColorizationJobFactory(public=True, taken_year=1921)
    web.job_request_gallery(job=job, caption="", taken_year=1931)
    job.refresh_from_db()
    assert job.gallery_review == Review.PENDING


def test_asking_again_after_withdrawing_waits_for_review():
    job = ColorizationJobFactory(public=True)
    web.job_request_gallery(job=job, requested=False)
    web.job_request_gallery(job=job, requested=True)
    job.refresh_from_db()
    assert job.gallery_review == Review.PENDING
    assert not job.is_public


def test_saving_the_same_caption_keeps_the_approval():
    job = ColorizationJobFactory(public=True, caption="Grandma, 1921", taken_year=None)
    web.job_request_gallery(job=job, caption="Grandma,  1921", taken_year=None)
    job.refresh_from_db()
    assert job.gallery_review == Review.APPROVED


def test_a_photo_a_moderator_hid_stays_hidden_after_a_new_caption():
    job = ColorizationJobFactory(succeeded=True, gallery_requested=True, gallery_review=Review.HIDDEN)
    web.job_request_gallery(job=job, caption="Please show it now")
    job.refresh_from_db()
    assert job.gallery_review == Review.HIDDEN
