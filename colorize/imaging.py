"""Decode an upload safely and encode results.

The content decides what a file is, never its name. Limits (bytes, pixels) default to the
settings; a decompression bomb is refused from its header before any pixel is decoded, and
the whole image is decoded here so a truncated file is caught here too.
"""

import io
import os
import warnings
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from colorize.errors import CorruptImage, ImageTooLarge, NotAnImage, UnsupportedImage

# What a person's photo may be. MPO is what many cameras and phones write as "JPEG".
SUPPORTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "TIFF", "BMP", "GIF"}
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}


def _limit(value, setting):
    return getattr(settings, setting) if value is None else value


def _read_bytes(source, max_bytes):
    """The source's bytes, reading at most one byte past the limit."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            size = path.stat().st_size
            if max_bytes and size > max_bytes:
                raise ImageTooLarge(
                    f"{path} is {size} bytes, over the limit of {max_bytes}", user_message=_too_many_bytes(max_bytes)
                )
            data = path.read_bytes()
        except OSError as error:
            raise NotAnImage(f"cannot read {path}: {error}", user_message="This file could not be read.") from error
    elif hasattr(source, "read"):
        data = source.read(max_bytes + 1) if max_bytes else source.read()
    else:
        raise TypeError(f"load_image takes a path, bytes or a binary file, not {type(source).__name__}")
    if max_bytes and len(data) > max_bytes:
        raise ImageTooLarge(f"over the limit of {max_bytes} bytes", user_message=_too_many_bytes(max_bytes))
    if not data:
        raise NotAnImage("the file is empty", user_message="This file is empty. Please choose a photo.")
    return data


def _too_many_bytes(max_bytes):
    return f"This file is too large: the largest photo accepted is {max_bytes / 1_000_000:.0f} MB."


def _too_many_pixels(max_pixels):
    return f"This photo has too many pixels: the most accepted is {max_pixels / 1_000_000:.0f} megapixels."


def _open(data, max_pixels):
    with warnings.catch_warnings():
        # Our own pixel limit applies; Pillow's warning would only be noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as error:
            raise ImageTooLarge(
                str(error), user_message=_too_many_pixels(max_pixels or Image.MAX_IMAGE_PIXELS)
            ) from error
        except UnidentifiedImageError as error:
            raise NotAnImage(str(error)) from error
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise CorruptImage(str(error)) from error
    if image.format not in SUPPORTED_FORMATS:
        raise UnsupportedImage(f"format {image.format} is not supported")
    width, height = image.size
    if width < 1 or height < 1:
        raise CorruptImage(f"the image declares a size of {width}x{height}")
    if max_pixels and width * height > max_pixels:
        raise ImageTooLarge(
            f"{width}x{height} pixels, over the limit of {max_pixels}", user_message=_too_many_pixels(max_pixels)
        )
    return image


def _decode(image):
    """Fully decode the first frame (truncation is detected here) and apply EXIF orientation."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.seek(0)
            image.load()
            transposed = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(str(error)) from error
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError) as error:
        raise CorruptImage(str(error)) from error
    except MemoryError as error:
        raise ImageTooLarge(str(error)) from error
    return transposed if transposed is not None else image


def _to_8bit_gray(image):
    """A 16/32-bit integer or float grayscale image as 8-bit 'L'."""
    values = np.asarray(image)
    if image.mode.startswith("I;16"):
        scaled = values.astype(np.float32) / 257.0
    elif image.mode == "F":
        values = values.astype(np.float32)
        peak = float(np.nanmax(values)) if values.size else 0.0
        scaled = values * 255.0 if peak <= 1.0 else values
    else:  # "I": 32-bit integers, usually 16-bit data widened
        peak = int(values.max()) if values.size else 0
        scaled = values.astype(np.float32) / (257.0 if peak > 255 else 1.0)
        if peak > 65535:
            scaled = values.astype(np.float64) * (255.0 / peak)
    return Image.fromarray(np.clip(np.nan_to_num(scaled) + 0.5, 0, 255).astype(np.uint8), "L")


def _icc_to_srgb(image):
    """Convert through the embedded ICC profile where there is one (CMYK in particular)."""
    profile = image.info.get("icc_profile")
    if not profile:
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        output_mode = "RGBA" if image.mode in ("RGBA",) else "RGB"
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def normalise_mode(image, *, keep_gray=False):
    """RGB, or RGBA where the input has real (not all-opaque) alpha; L too when ``keep_gray``."""
    has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        image = _to_8bit_gray(image)
    elif image.mode == "CMYK":
        image = _icc_to_srgb(image) or image.convert("RGB")
    if has_alpha:
        rgba = image.convert("RGBA")
        if rgba.getchannel("A").getextrema()[0] < 255:
            return rgba
    if keep_gray and image.mode in ("1", "L", "LA", "La"):
        return image.convert("L")
    return image if image.mode == "RGB" else image.convert("RGB")


def load_image(source, *, max_bytes=None, max_pixels=None, keep_gray=False):
    """Decode a photo from a path, bytes or a binary file-like object.

    Returns a fully decoded PIL image in mode "RGB", or "RGBA" where the input has real
    alpha (with ``keep_gray=True`` a grayscale input stays "L", a third of the memory).
    ``max_bytes``/``max_pixels`` default to the settings; 0 means no limit.
    Raises NotAnImage, UnsupportedImage, ImageTooLarge or CorruptImage.
    """
    max_bytes = _limit(max_bytes, "COLORIZE_MAX_UPLOAD_BYTES")
    max_pixels = _limit(max_pixels, "COLORIZE_MAX_PIXELS")
    data = _read_bytes(source, max_bytes)
    image = _open(data, max_pixels)
    decoded = _decode(image)
    try:
        return normalise_mode(decoded, keep_gray=keep_gray)
    except (OSError, ValueError) as error:
        raise UnsupportedImage(f"cannot convert mode {decoded.mode}: {error}") from error


def encode_image(image, fmt):
    """PNG (fast compression, alpha kept) or JPEG (quality 92; alpha composited on white)."""
    fmt = fmt.lower()
    buffer = io.BytesIO()
    if fmt == "png":
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.save(buffer, "PNG", compress_level=1)
    elif fmt in ("jpeg", "jpg"):
        if image.mode in ("RGBA", "LA", "PA", "P"):
            rgba = image.convert("RGBA")
            background = Image.new("RGB", rgba.size, (255, 255, 255))
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        elif image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buffer, "JPEG", quality=92)
    else:
        raise ValueError(f"unknown output format {fmt!r}: use 'png' or 'jpeg'")
    return buffer.getvalue()
