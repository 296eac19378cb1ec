"""Decode an upload safely and encode results.

The content decides what a file is, never its name. The caller sets the limits (bytes,
pixels: the site's come from its settings through ``colorize.site``); a decompression bomb is refused from its header before any pixel is decoded, and
the whole image is decoded here so a truncated file is caught here too.
"""

import io
import os
import warnings
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from PIL import Image, ImageCms, ImageOps, PngImagePlugin, UnidentifiedImageError

from colorize import colour
from colorize.errors import CorruptImage, ImageTooLarge, NotAnImage, UnsupportedImage

# What load_image reads: a path, the bytes themselves, or a binary file object.
ImageSource = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO

# What a person's photo may be. MPO is what many cameras and phones write as "JPEG".
SUPPORTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "TIFF", "BMP", "GIF"}
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}


def _read_bytes(source: ImageSource, max_bytes: int) -> bytes:
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


def _too_many_bytes(max_bytes: int) -> str:
    return f"This file is too large: the largest photo accepted is {max_bytes / 1_000_000:.0f} MB."


def _too_many_pixels(max_pixels: int) -> str:
    return f"This photo has too many pixels: the most accepted is {max_pixels / 1_000_000:.0f} megapixels."


def _open(data: bytes, max_pixels: int) -> Image.Image:
    with warnings.catch_warnings():
        # Our own pixel limit applies; Pillow's warning would only be noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as error:
            raise ImageTooLarge(
                str(error), user_message=_too_many_pixels(max_pixels or Image.MAX_IMAGE_PIXELS or 0)
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


def _decode(image: Image.Image) -> Image.Image:
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


def _to_8bit_gray(image: Image.Image) -> Image.Image:
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


def _icc_to_srgb(image: Image.Image) -> Image.Image | None:
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


def normalise_mode(image: Image.Image, *, keep_gray: bool = False) -> Image.Image:
    """RGB, or RGBA where the input has real (not all-opaque) alpha; L too when ``keep_gray``."""
    has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        image = _to_8bit_gray(image)
    elif image.mode == "CMYK":
        image = _icc_to_srgb(image) or image.convert("RGB")
    if has_alpha:
        rgba = image.convert("RGBA")
        lowest_alpha, _ = rgba.getchannel("A").getextrema()
        if isinstance(lowest_alpha, (int, float)) and lowest_alpha < 255:
            return rgba
    if keep_gray and image.mode in ("1", "L", "LA", "La"):
        return image.convert("L")
    return image if image.mode == "RGB" else image.convert("RGB")


# A photo whose colours spread this far (CIELAB a*b*, around their own mean, on a 128 px copy)
# already has colour. A toned print (sepia, cyanotype) has a strong tint but little spread:
# the 40 historical photos of ../shared/datasets/bw spread at most 5.0, the 8 colour photos of
# samples/ at least 9.8 (a few muted colour photos of val/ spread less and count as grey).
COLOUR_SPREAD_THRESHOLD = 7.0


def colour_spread(image: Image.Image) -> float:
    """How far the colours of ``image`` spread around their mean tint (CIELAB units)."""
    if image.mode in ("L", "LA", "I", "I;16", "1"):
        return 0.0
    small = image.convert("RGB")
    small.thumbnail((128, 128))
    ab = colour.rgb_to_lab(np.asarray(small, dtype=np.float32) / 255.0)[..., 1:].reshape(-1, 2)
    return float(np.sqrt(((ab - ab.mean(axis=0)) ** 2).sum(axis=1).mean()))


def has_colour(image: Image.Image) -> bool:
    """Whether ``image`` is a colour photo (not black and white, nor a toned print)."""
    return colour_spread(image) >= COLOUR_SPREAD_THRESHOLD


def declared_pixels(data: bytes) -> int | None:
    """How many pixels an encoded image declares in its header, read without decoding it;
    None when the header cannot be read, or declares more than Pillow opens at all (loading
    it then says why, as cheaply)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        except Exception:  # noqa: BLE001  (any file at all: whatever Pillow raises, the size is unknown)
            return None
    return width * height


def load_image(source: ImageSource, *, max_bytes: int, max_pixels: int, keep_gray: bool = False) -> Image.Image:
    """Decode a photo from a path, bytes or a binary file-like object.

    Returns a fully decoded PIL image in mode "RGB", or "RGBA" where the input has real
    alpha (with ``keep_gray=True`` a grayscale input stays "L", a third of the memory).
    ``max_bytes``/``max_pixels``: 0 means no limit (for a file already checked once).
    Raises NotAnImage, UnsupportedImage, ImageTooLarge or CorruptImage.
    """
    data = _read_bytes(source, max_bytes)
    image = _open(data, max_pixels)
    decoded = _decode(image)
    try:
        return normalise_mode(decoded, keep_gray=keep_gray)
    except (OSError, ValueError) as error:
        raise UnsupportedImage(f"cannot convert mode {decoded.mode}: {error}") from error


# IPTC's digital source type for a colorized photo: the lightness is the original photograph's,
# the colours come from a trained network, so the result is a composite of captured and
# machine-made content (http://cv.iptc.org/newscodes/digitalsourcetype/).
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
SOFTWARE = "Colorsite"


def provenance_xmp(model: str, *, software: str = SOFTWARE) -> bytes:
    """An XMP packet that labels a result as machine-colorized: the IPTC digital source type,
    the software (xmp:CreatorTool) and the model (IPTC 2025.1 AI System Used). Nothing about
    the photo's owner, its file name or where it came from."""
    description = (
        f"Colorized by {software} with the {model} model: the lightness is the original photograph's, "
        "the colours were predicted by a neural network."
    )
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    Iptc4xmpExt:DigitalSourceType={quoteattr(DIGITAL_SOURCE_TYPE)}
    Iptc4xmpExt:AISystemUsed={quoteattr(str(model))}
    xmp:CreatorTool={quoteattr(software)}>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(description)}</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>"""
    return packet.encode("utf-8")


def read_xmp(data: bytes) -> bytes:
    """The XMP packet embedded in PNG, JPEG or WebP ``data`` (bytes), or b"" when there is none."""
    with Image.open(io.BytesIO(data)) as image:
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    return xmp.encode("utf-8") if isinstance(xmp, str) else bytes(xmp)


def fit_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """(width, height) scaled down so that the longer side is at most ``long_side`` (never up),
    each side at least 1 px: the size of a web preview."""
    scale = min(1.0, long_side / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def downscale(image: Image.Image, long_side: int) -> Image.Image:
    """A copy of ``image`` whose longer side is at most ``long_side`` (Lanczos; never
    enlarged), for a web-sized preview of a photo or a result."""
    size = fit_size(image.width, image.height, long_side)
    if size == image.size:
        return image.copy()
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def encode_image(image: Image.Image, fmt: str, *, xmp: bytes | None = None) -> bytes:
    """PNG (fast compression, alpha kept), JPEG (quality 92; alpha composited on white) or
    WebP (quality 80, alpha kept: the web previews). ``xmp`` (bytes, e.g. from
    :func:`provenance_xmp`) is embedded as the file's XMP packet: an iTXt chunk in PNG, an
    APP1 segment in JPEG, an XMP chunk in WebP."""
    fmt = fmt.lower()
    buffer = io.BytesIO()
    if fmt == "png":
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        options = {}
        if xmp:
            info = PngImagePlugin.PngInfo()
            info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"), zip=False)
            options["pnginfo"] = info
        image.save(buffer, "PNG", compress_level=1, **options)
    elif fmt in ("jpeg", "jpg"):
        if image.mode in ("RGBA", "LA", "PA", "P"):
            rgba = image.convert("RGBA")
            background = Image.new("RGB", rgba.size, (255, 255, 255))
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        elif image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buffer, "JPEG", quality=92, **({"xmp": xmp} if xmp else {}))
    elif fmt == "webp":
        if image.mode not in ("RGB", "RGBA", "L"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        if image.mode == "L":
            image = image.convert("RGB")  # WebP has no grayscale mode
        image.save(buffer, "WEBP", quality=80, method=4, **({"xmp": xmp} if xmp else {}))
    else:
        raise ValueError(f"unknown output format {fmt!r}: use 'png', 'jpeg' or 'webp'")
    return buffer.getvalue()
