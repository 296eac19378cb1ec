from pathlib import Path

import pytest
from django.urls import reverse

from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:gallery_colorizationjob_changelist"


def act(admin_client, action, jobs):
    return admin_client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [j.pk for j in jobs]}, follow=True
    )


def test_changelist_lists_jobs_with_previews_and_filters(admin_client):
    job = ColorizationJobFactory(succeeded=True, display_name="Harbour 1931")
    html = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert "Harbour 1931" in html
    assert job.thumbnail_url in html
    for title in ("By status", "By model", "By gallery"):
        assert title in html


FILTERS = {
    # query: (a job it lists, a job it leaves out)
    "?status__exact=failed": ({"failed": True}, {"succeeded": True}),
    "?gallery=pending": ({"gallery_requested": True}, {"gallery_requested": False}),
    "?gallery=public": ({"public": True}, {"gallery_requested": True}),
    "?model_name=compact": ({"model_name": "compact"}, {"model_name": "eccv16"}),
    "?q=Harbour": ({}, {}),
}


@pytest.mark.parametrize("query", list(FILTERS))
def test_filters_and_search_work(admin_client, query):
    listed, left_out = FILTERS[query]
    ColorizationJobFactory(display_name="Harbour", **listed)
    ColorizationJobFactory(display_name="Mountain", **left_out)
    response = admin_client.get(reverse(CHANGELIST) + query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Harbour" in html
    assert "Mountain" not in html


def test_search_finds_by_display_name(admin_client):
    ColorizationJobFactory(display_name="Harbour")
    ColorizationJobFactory(display_name="Mountain")
    html = admin_client.get(reverse(CHANGELIST) + "?q=Harbour").content.decode()
    assert "Harbour" in html
    assert "Mountain" not in html


def test_change_page_shows_original_and_result(admin_client):
    job = ColorizationJobFactory(succeeded=True)
    html = admin_client.get(reverse("admin:gallery_colorizationjob_change", args=[job.pk])).content.decode()
    # Their web-sized previews (the full-size files are a click away on the job's page).
    assert job.original_preview_url in html
    assert job.result_preview_url in html


def test_bulk_approve_puts_jobs_in_the_gallery(admin_client):
    jobs = ColorizationJobFactory.create_batch(2, succeeded=True, gallery_requested=True)
    act(admin_client, "approve_for_gallery", jobs)
    assert all(j.is_public for j in ColorizationJob.objects.all())


def test_bulk_hide_takes_jobs_out_of_the_gallery(admin_client):
    jobs = ColorizationJobFactory.create_batch(2, public=True)
    act(admin_client, "hide_from_gallery", jobs)
    assert not any(j.is_public for j in ColorizationJob.objects.all())


def test_rerun_action_queues_failed_jobs_only(admin_client):
    failed = ColorizationJobFactory(failed=True)
    done = ColorizationJobFactory(succeeded=True)
    act(admin_client, "retry_failed", [failed, done])
    failed.refresh_from_db()
    done.refresh_from_db()
    assert failed.status == "queued"
    assert done.status == "succeeded"


def test_bulk_delete_deletes_the_files(admin_client, django_capture_on_commit_callbacks):
    job = ColorizationJobFactory(succeeded=True)
    paths = [Path(getattr(job, f).path) for f in ("original", "result", "result_jpeg", "thumbnail")]
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [job.pk], "post": "yes"}
        )
    assert not ColorizationJob.objects.exists()
    assert not any(p.exists() for p in paths)


def test_single_delete_deletes_the_files(admin_client, django_capture_on_commit_callbacks):
    job = ColorizationJobFactory(succeeded=True)
    path = Path(job.original.path)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:gallery_colorizationjob_delete", args=[job.pk]), {"post": "yes"})
    assert not path.exists()


def test_the_changelists_preview_links_have_names(admin_client):
    ColorizationJobFactory(succeeded=True, display_name="Harbour, 1931")
    ColorizationJobFactory(display_name="Scan 12")
    html = admin_client.get(reverse("admin:gallery_colorizationjob_changelist")).content.decode()
    assert 'alt="Preview of Harbour, 1931"' in html
    assert "(no preview yet)" in html
    assert 'alt=""' not in html
