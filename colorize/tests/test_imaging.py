"""Decoding every kind of photo a person may have, safely; encoding results."""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from colorize import imaging, site
from colorize.errors import ColorizeError, CorruptImage, ImageTooLarge, NotAnImage, UnsupportedImage
from research.testing import photo

# The site's limits (COLORIZE_MAX_UPLOAD_BYTES, COLORIZE_MAX_PIXELS by default).
LIMITS = {"max_bytes": 40 * 1024 * 1024, "max_pixels": 50_000_000}


def load(source, **options):
    return imaging.load_image(source, **{**LIMITS, **options})


def encoded(image, fmt, **params):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def gradient_rgb(width=40, height=30):
    return photo(width, height)


def test_jpeg_from_bytes_path_and_file_object(tmp_path):
    data = encoded(gradient_rgb(), "JPEG", quality=95)
    path = tmp_path / "photo.dat"  # the name says nothing: the content decides
    path.write_bytes(data)
    for source in (data, path, str(path), io.BytesIO(data)):
        image = load(source)
        assert (image.mode, image.size) == ("RGB", (40, 30))


def test_progressive_jpeg():
    image = load(encoded(gradient_rgb(), "JPEG", progressive=True, quality=95))
    assert image.mode == "RGB"
    assert np.abs(np.asarray(image).astype(int) - np.asarray(gradient_rgb()).astype(int)).mean() < 6


def test_cmyk_jpeg_becomes_rgb_with_the_right_colours():
    red = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    image = load(encoded(red, "JPEG", quality=95))
    assert image.mode == "RGB"
    r, g, b = np.asarray(image).reshape(-1, 3).mean(axis=0)
    assert r > 200
    assert g < 60
    assert b < 60


def test_grayscale_jpeg_is_rgb_or_kept_gray_on_request():
    gray = gradient_rgb().convert("L")
    data = encoded(gray, "JPEG", quality=95)
    assert load(data).mode == "RGB"
    kept = load(data, keep_gray=True)
    assert kept.mode == "L"
    assert kept.size == gray.size


def test_png_16_bit_grayscale_scaled_to_8_bit():
    values = np.linspace(0, 65535, 64 * 8, dtype=np.uint16).reshape(8, 64)
    image = load(encoded(Image.fromarray(values), "PNG"))
    assert image.mode == "RGB"
    pixels = np.asarray(image)[..., 0].astype(int)
    assert pixels.min() == 0
    assert pixels.max() == 255
    assert np.abs(pixels - values.astype(float) / 257).max() <= 1


def test_png_palette_grayscale_and_rgb():
    rgb = gradient_rgb()
    assert load(encoded(rgb.convert("P"), "PNG")).mode == "RGB"
    assert load(encoded(rgb.convert("L"), "PNG")).mode == "RGB"
    assert load(encoded(rgb.convert("1"), "PNG")).mode == "RGB"
    decoded = load(encoded(rgb, "PNG"))
    assert np.array_equal(np.asarray(decoded), np.asarray(rgb))


def test_png_with_real_alpha_keeps_it():
    rgba = gradient_rgb().convert("RGBA")
    alpha = np.full((30, 40), 255, np.uint8)
    alpha[:, :10] = 0
    rgba.putalpha(Image.fromarray(alpha))
    image = load(encoded(rgba, "PNG"))
    assert image.mode == "RGBA"
    assert np.array_equal(np.asarray(image.getchannel("A")), alpha)


def test_gray_with_alpha_and_palette_with_transparency_keep_alpha():
    la = Image.new("LA", (8, 8), (120, 0))
    assert load(encoded(la, "PNG")).mode == "RGBA"
    palette = Image.new("P", (8, 8), 0)
    palette.putpixel((1, 1), 1)
    assert load(encoded(palette, "PNG", transparency=0)).mode == "RGBA"


def test_fully_opaque_alpha_is_dropped():
    image = load(encoded(gradient_rgb().convert("RGBA"), "PNG"))
    assert image.mode == "RGB"


@pytest.mark.parametrize("fmt", ["WEBP", "TIFF", "BMP"])
def test_webp_tiff_bmp(fmt):
    image = load(encoded(gradient_rgb(), fmt))
    assert (image.mode, image.size) == ("RGB", (40, 30))


def test_tiff_16_bit_grayscale():
    values = np.full((6, 9), 40000, dtype=np.uint16)
    image = load(encoded(Image.fromarray(values), "TIFF"))
    assert image.mode == "RGB"
    assert abs(int(np.asarray(image)[0, 0, 0]) - round(40000 / 257)) <= 1


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (12, 10), colour) for colour in ((250, 0, 0), (0, 0, 250))]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    image = load(data)
    assert image.size == (12, 10)
    r, g, b = np.asarray(image).reshape(-1, 3).mean(axis=0)
    assert r > 200
    assert b < 50


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (40, 20), (200, 200, 200))
    image.paste((10, 10, 10), (0, 0, 10, 20))  # dark stripe on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    decoded = load(encoded(image, "JPEG", exif=exif.tobytes(), quality=95))
    assert decoded.size == (20, 40)
    assert np.asarray(decoded)[:10, :, 0].mean() < 60  # the stripe is now at the top


def test_not_an_image():
    with pytest.raises(NotAnImage) as caught:
        load(b"%PDF-1.4 this is not a picture at all")
    assert "not an image" in caught.value.user_message
    assert isinstance(caught.value, ColorizeError)


def test_empty_file_is_not_an_image():
    with pytest.raises(NotAnImage):
        load(b"")


def test_truncated_jpeg_is_corrupt():
    data = encoded(photo(200, 150), "JPEG", quality=95)
    with pytest.raises(CorruptImage) as caught:
        load(data[: len(data) // 2])
    assert "damaged" in caught.value.user_message


def test_unsupported_format():
    with pytest.raises(UnsupportedImage):
        load(encoded(gradient_rgb(), "PPM"))


def png_header_only(width, height):
    """A PNG whose header declares ``width`` x ``height`` pixels, with one tiny data chunk."""

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
    )


def test_decompression_bomb_refused_from_its_header():
    with pytest.raises(ImageTooLarge) as caught:
        load(png_header_only(100_000, 100_000))
    assert "pixels" in caught.value.user_message


def test_pixel_limit_is_a_parameter_and_the_sites_setting(settings):
    data = encoded(gradient_rgb(), "PNG")
    with pytest.raises(ImageTooLarge):
        load(data, max_pixels=40 * 30 - 1)
    assert load(data, max_pixels=40 * 30).size == (40, 30)
    settings.COLORIZE_MAX_PIXELS = 100
    with pytest.raises(ImageTooLarge):
        site.load_upload(data)


def test_byte_limit_is_a_parameter_and_the_sites_setting(settings, tmp_path):
    data = encoded(gradient_rgb(), "PNG")
    for source in (data, io.BytesIO(data)):
        with pytest.raises(ImageTooLarge) as caught:
            load(source, max_bytes=len(data) - 1)
        assert "too large" in caught.value.user_message
    path = tmp_path / "big.png"
    path.write_bytes(data)
    settings.COLORIZE_MAX_UPLOAD_BYTES = 10
    with pytest.raises(ImageTooLarge):
        site.load_upload(path)


def test_encode_png_keeps_alpha_and_pixels():
    rgba = gradient_rgb().convert("RGBA")
    rgba.putpixel((0, 0), (1, 2, 3, 0))
    decoded = Image.open(io.BytesIO(imaging.encode_image(rgba, "png")))
    assert decoded.format == "PNG"
    assert decoded.mode == "RGBA"
    assert np.array_equal(np.asarray(decoded), np.asarray(rgba))


def test_encode_jpeg_composites_alpha_on_white():
    rgba = Image.new("RGBA", (16, 16), (0, 0, 0, 0))
    decoded = Image.open(io.BytesIO(imaging.encode_image(rgba, "jpeg")))
    assert decoded.format == "JPEG"
    assert decoded.mode == "RGB"
    assert np.asarray(decoded).min() > 245


def test_encode_rejects_unknown_formats():
    with pytest.raises(ValueError, match="gif"):
        imaging.encode_image(gradient_rgb(), "gif")


def test_truncated_png_is_corrupt():
    data = encoded(photo(120, 90), "PNG")
    with pytest.raises(CorruptImage):
        load(data[: len(data) * 2 // 3])


# --- A photo that already has colour (issue #24) -----------------------------------------------


def test_a_grey_photo_and_a_toned_print_have_no_colour():
    grey = Image.linear_gradient("L").resize((200, 150))
    sepia = ImageOps.colorize(grey, black="#2b1d0e", white="#f3e3c3")  # a tint, no spread
    assert not imaging.has_colour(grey)
    assert not imaging.has_colour(grey.convert("RGB"))
    assert not imaging.has_colour(sepia)


def test_a_colour_photo_has_colour():
    pixels = np.zeros((120, 160, 3), np.uint8)
    pixels[:, :80] = (200, 40, 40)
    pixels[:, 80:] = (40, 90, 200)
    assert imaging.has_colour(Image.fromarray(pixels))


def test_the_colour_threshold_parts_the_shared_photos(settings):
    """Chosen on ../shared/datasets: every historical photo of bw/ below it, every colour
    photo of samples/ above it."""
    datasets = Path(settings.SHARED_DATA_DIR) / "datasets"
    if not (datasets / "bw").is_dir():
        pytest.skip(f"{datasets} is not there")
    bw = [imaging.colour_spread(Image.open(path)) for path in sorted((datasets / "bw").glob("*.jpg"))]
    samples = [imaging.colour_spread(Image.open(path)) for path in sorted((datasets / "samples").glob("*.jpg"))]
    assert len(bw) == 40
    assert len(samples) == 8
    assert max(bw) < imaging.COLOUR_SPREAD_THRESHOLD < min(samples)
