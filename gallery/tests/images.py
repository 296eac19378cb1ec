"""Tiny test pictures, made on the fly."""

import io
import random
import struct
import zlib

from PIL import Image, ImageDraw


def grey_photo(width=48, height=32, *, fmt="PNG", mode="L"):
    """A small black-and-white "photo": a gradient with a few shapes."""
    image = Image.linear_gradient("L").resize((width, height)).convert(mode)
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 4, height // 4, width // 2, height // 2), fill=40 if mode == "L" else (40, 40, 40))
    draw.rectangle((width // 2, height // 2, width - 2, height - 2), fill=200 if mode == "L" else (200, 200, 200))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def truncated_png():
    data = grey_photo(64, 64)
    return data[: len(data) // 2]


def png_bomb(width=40_000, height=40_000):
    """A valid PNG header claiming a huge picture, with a tiny body: a decompression bomb's
    signature, without building the bomb."""

    def chunk(kind, payload):
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * width
    compressor = zlib.compressobj(9)
    body = compressor.compress(row * 8) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def noise_photo(width, height, *, fmt="PNG", quality=30, seed=0):
    """Random pixels: they compress badly as PNG and well as a low-quality JPEG."""
    image = Image.frombytes("RGB", (width, height), random.Random(seed).randbytes(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def grey_image(width=48, height=32):
    """grey_photo, decoded (RGB): what a service takes."""
    return Image.open(io.BytesIO(grey_photo(width, height))).convert("RGB")


def scans(count, **kwargs):
    """``count`` small grey photos to upload, "scan 1.png" to "scan COUNT.png"."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return [SimpleUploadedFile(f"scan {i}.png", grey_photo(40 + i, 30), **kwargs) for i in range(1, count + 1)]
