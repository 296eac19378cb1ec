"""Every result says it was colorized by a machine: XMP with IPTC's digital source type, the
software and the model, read back from the written files (and with exiftool where installed)."""

import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from PIL import Image

from colorize import imaging
from research.testing import photo

COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
IPTC_EXT = "{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}"
XMP = "{http://ns.adobe.com/xap/1.0/}"


def provenance(data):
    """(digital source type, AI system used, creator tool) from a file's XMP packet."""
    packet = imaging.read_xmp(data)
    root = ET.fromstring(packet[packet.index(b"<x:xmpmeta") : packet.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")])
    description = root.find(f"{RDF}RDF/{RDF}Description")
    return (
        description.get(f"{IPTC_EXT}DigitalSourceType"),
        description.get(f"{IPTC_EXT}AISystemUsed"),
        description.get(f"{XMP}CreatorTool"),
    )


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_encoded_results_carry_the_iptc_label_the_software_and_the_model(fmt):
    data = imaging.encode_image(photo(40, 30), fmt, xmp=imaging.provenance_xmp("siggraph17"))
    assert provenance(data) == (COMPOSITE, "siggraph17", "Colorsite")
    assert Image.open(__import__("io").BytesIO(data)).size == (40, 30)


def test_a_model_name_with_markup_stays_well_formed_xml():
    data = imaging.encode_image(photo(8, 8), "png", xmp=imaging.provenance_xmp('a"<b>&c'))
    assert provenance(data)[1] == 'a"<b>&c'


def test_without_xmp_nothing_is_embedded():
    assert imaging.read_xmp(imaging.encode_image(photo(8, 8), "png")) == b""


def test_cli_results_carry_the_label_and_nothing_personal(engine_weights, tmp_path):
    source = tmp_path / "Grandma Smith, 12 Elm Street.jpg"
    photo(60, 40).convert("L").save(source, quality=95)
    for fmt in ("png", "jpg"):
        call_command("colorize", str(source), "--out-dir", str(tmp_path / fmt), "--model", "eccv16", "--format", fmt)
        data = (tmp_path / fmt / f"{source.stem}.{fmt}").read_bytes()
        assert provenance(data) == (COMPOSITE, "eccv16", "Colorsite")
        packet = imaging.read_xmp(data)
        assert b"Grandma" not in packet
        assert b"Elm" not in packet
        assert str(tmp_path).encode() not in packet


@pytest.mark.skipif(
    not shutil.which("exiftool"), reason="exiftool is not installed (apt-get install libimage-exiftool-perl)"
)
@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_exiftool_reads_the_label_as_the_readme_says(tmp_path, fmt):
    path = tmp_path / f"result.{fmt}"
    path.write_bytes(imaging.encode_image(photo(16, 16), fmt, xmp=imaging.provenance_xmp("compact")))
    out = subprocess.run(
        [
            "exiftool",
            "-s3",
            "-XMP-iptcExt:DigitalSourceType",
            "-XMP-iptcExt:AISystemUsed",
            "-XMP-xmp:CreatorTool",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [COMPOSITE, "compact", "Colorsite"]
