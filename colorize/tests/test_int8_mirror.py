"""Workers of one kind share their int8 graphs through the site's bucket (issue #35): the first
that makes one puts it there, keyed by its float32 graph, CPU and ONNX Runtime; the next takes
it, verified by the sha256 its report names, instead of making it again (moto's real S3)."""

import pytest
from django.core.management import call_command

from colorize import registry, site, weights_mirror
from colorize.files import graph_sha256
from research.testing import int8_report

COMPACT = registry.get_spec("compact")
MIRROR = "s3://colorsite-media/weights"


@pytest.fixture
def worker_disk(settings, tmp_path):
    """``disk(name)``: make a fresh weights folder the current one (one worker instance's)."""
    settings.COLORIZE_INT8 = True

    def disk(name):
        settings.COLORIZE_WEIGHTS_DIR = tmp_path / name
        return site.weights_store()

    return disk


def test_a_second_worker_of_the_same_kind_takes_the_first_ones_int8_graph_without_making_it(
    s3_mirror, worker_disk, capsys
):
    first = worker_disk("first")
    call_command("fetch_weights", "compact", verbosity=0)
    said = capsys.readouterr().out
    assert "making the int8 graph" in said
    assert f"put the int8 graph and its self-check in {MIRROR}" in said

    second = worker_disk("second")
    call_command("fetch_weights", "compact", verbosity=0)
    said = capsys.readouterr().out
    assert "making the int8 graph" not in said
    assert f"took the int8 graph and its self-check from {MIRROR}" in said
    assert second.int8_report(COMPACT) == first.int8_report(COMPACT)
    assert graph_sha256(second.int8_path(COMPACT)) == graph_sha256(first.int8_path(COMPACT))
    assert site.precision(COMPACT) == first.precision(COMPACT)


def test_the_mirrors_int8_graph_lies_under_its_float32_graph_cpu_and_runtime(s3_mirror, worker_disk):
    store = worker_disk("first")
    report = int8_report(store, COMPACT)
    assert weights_mirror.int8_share(MIRROR, store, COMPACT, endpoint_url=s3_endpoint(s3_mirror))
    folder = weights_mirror.int8_folder(report.float_sha256)
    listed = s3_mirror.list_objects_v2(Bucket="colorsite-media", Prefix="weights/int8/")["Contents"]
    keys = [item["Key"] for item in listed]
    assert sorted(keys) == [f"weights/{folder}/compact-v5.int8.json", f"weights/{folder}/compact-v5.int8.onnx"]


def test_an_int8_graph_in_the_mirror_that_is_not_the_one_checked_is_not_taken(s3_mirror, worker_disk):
    store = worker_disk("first")
    report = int8_report(store, COMPACT)
    endpoint = s3_endpoint(s3_mirror)
    weights_mirror.int8_share(MIRROR, store, COMPACT, endpoint_url=endpoint)
    key = f"weights/{weights_mirror.int8_folder(report.float_sha256)}/compact-v5.int8.onnx"
    s3_mirror.put_object(Bucket="colorsite-media", Key=key, Body=b"another graph")
    second = worker_disk("second")
    assert weights_mirror.int8_fetch(MIRROR, second, COMPACT, endpoint_url=endpoint) is None
    assert not second.int8_path(COMPACT).exists()
    assert not second.int8_report_path(COMPACT).exists()


def test_a_report_made_on_another_cpu_is_not_taken(s3_mirror, worker_disk, monkeypatch):
    store = worker_disk("first")
    int8_report(store, COMPACT)
    endpoint = s3_endpoint(s3_mirror)
    weights_mirror.int8_share(MIRROR, store, COMPACT, endpoint_url=endpoint)
    from colorize import cpu

    monkeypatch.setattr(cpu, "description", lambda: "Another CPU (AVX2)")
    assert weights_mirror.int8_fetch(MIRROR, worker_disk("second"), COMPACT, endpoint_url=endpoint) is None


def s3_endpoint(client):
    return client.meta.endpoint_url


def test_an_instance_short_of_memory_makes_no_int8_graph(worker_disk, monkeypatch, capsys):
    from colorize import cpu

    worker_disk("small")
    monkeypatch.setattr(cpu, "available_memory", lambda: 500_000_000)
    call_command("fetch_weights", "compact", "--mirror", "", verbosity=0)
    assert "0.5 GB of memory available" in capsys.readouterr().err
    assert site.precision(COMPACT).precision == "float32"
