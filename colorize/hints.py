"""Colour hints: the one type that forms, the CLI, the worker and the pipeline share.

A hint is a point in the ORIGINAL photo's pixels and the sRGB colour wanted there. Anything
that arrives from outside (a form's JSON, a hints file, a stored job) goes through
:func:`parse_hints`, which refuses with :class:`BadHints` (a user-readable message) rather
than guessing or silently dropping points.
"""

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.conf import settings

from colorize import colour
from colorize.errors import BadHints

AB_SCALE = 110.0
_COLOUR_RE = re.compile(r"^#?([0-9a-fA-F]{6})$")
# A hints document is a flat list of small objects; anything much longer is not one.
_MAX_JSON_CHARS_PER_HINT = 200


@dataclass(frozen=True)
class Hint:
    """A colour hint: a point in original-image pixels and the sRGB colour wanted there."""

    x: float
    y: float
    color: str

    @property
    def rgb(self) -> tuple[int, int, int]:
        return parse_colour(self.color)

    def as_dict(self) -> dict[str, Any]:
        return {"x": self.x, "y": self.y, "color": self.color}


def parse_colour(color: object) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b) integers; BadHints for anything else."""
    match = _COLOUR_RE.match(str(color).strip())
    if not match:
        raise BadHints(
            f"a hint colour must look like '#a0522d', not {color!r}", user_message="Colours must look like #rrggbb."
        )
    value = match.group(1)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def max_hints() -> int:
    return int(settings.COLORIZE_MAX_HINTS)


def _coordinate(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"not a number: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def parse_hints(data: object, *, image_size: tuple[int, int] | None = None) -> tuple[Hint, ...]:
    """Hints from decoded JSON: a list of {"x", "y", "color"} objects (or Hint instances).

    Checks the count against settings.COLORIZE_MAX_HINTS, that x and y are finite numbers,
    the colours, and (given ``image_size``) that every point lies inside the photo. Returns
    the hints with colours normalised to lower-case '#rrggbb'; raises BadHints otherwise.
    """
    if not isinstance(data, (list, tuple)):
        raise BadHints("hints must be a list of points", user_message="The colour points could not be read.")
    limit = max_hints()
    if len(data) > limit:
        raise BadHints(
            f"{len(data)} hints, over the limit of {limit}", user_message=f"At most {limit} colour points, please."
        )
    hints = []
    for item in data:
        if isinstance(item, Hint):
            item = item.as_dict()
        try:
            x, y = _coordinate(item["x"]), _coordinate(item["y"])
            color = item["color"]
        except (TypeError, KeyError, ValueError, OverflowError) as error:
            raise BadHints(
                f"bad hint {item!r}: each point needs finite x, y and a color ({error})",
                user_message="The colour points could not be read.",
            ) from None
        red, green, blue = parse_colour(color)
        hints.append(Hint(x, y, f"#{red:02x}{green:02x}{blue:02x}"))
    if image_size is not None:
        check_inside(hints, image_size)
    return tuple(hints)


def parse_hints_json(text: str, *, image_size: tuple[int, int] | None = None) -> tuple[Hint, ...]:
    """:func:`parse_hints` on a JSON string, refusing documents too long to be a hint list
    before decoding them (deep nesting or huge numbers never reach the decoder)."""
    if len(text) > _MAX_JSON_CHARS_PER_HINT * (max_hints() + 1):
        raise BadHints("the hints document is too long", user_message=f"At most {max_hints()} colour points, please.")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BadHints("the hints are not valid JSON", user_message="The colour points could not be read.") from None
    return parse_hints(data, image_size=image_size)


def check_inside(hints: Iterable[Hint], image_size: tuple[int, int]) -> None:
    width, height = image_size
    for hint in hints:
        if not (0 <= hint.x < width and 0 <= hint.y < height):
            raise BadHints(
                f"hint ({hint.x}, {hint.y}) lies outside the {width}x{height} image",
                user_message="A colour point lies outside the picture.",
            )


def hint_ab(color: str) -> npt.NDArray[np.float64]:
    """The ab of an sRGB colour (its L is not used: the photo decides lightness)."""
    return np.asarray(colour.rgb_to_lab(np.array(parse_colour(color), dtype=np.float64) / 255.0)[1:], dtype=np.float64)


def network_inputs(
    hints: Sequence[Hint], image_size: tuple[int, int], input_size: int = 256
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Hints -> (ab_norm 1x2xSxS, mask 1x1xSxS) for a network whose input is SxS.

    As in SIGGRAPH17: the hint's ab (from its sRGB colour), normalised by 110, fills a small
    square patch (3x3 at 256) around the point mapped from original-image pixels; the mask
    is 1 on that patch and 0 elsewhere.
    """
    width, height = image_size
    size = int(input_size)
    radius = max(1, round(size / 256))
    ab = np.zeros((1, 2, size, size), dtype=np.float32)
    mask = np.zeros((1, 1, size, size), dtype=np.float32)
    check_inside(hints, image_size)
    for hint in hints:
        column = min(int(hint.x * size / width), size - 1)
        row = min(int(hint.y * size / height), size - 1)
        rows = slice(max(0, row - radius), row + radius + 1)
        columns = slice(max(0, column - radius), column + radius + 1)
        ab[0, :, rows, columns] = (hint_ab(hint.color) / AB_SCALE)[:, None, None]
        mask[0, :, rows, columns] = 1.0
    return ab, mask


@dataclass(frozen=True)
class Anchoring:
    """How strongly a model's prediction is pulled to its hints (see :func:`anchor`).

    spatial_sigma is a fraction of the output side, lightness_sigma is in normalised L
    (L / 100), prior is how much the prediction itself counts against the hints.
    """

    spatial_sigma: float = 0.2
    lightness_sigma: float = 0.1
    prior: float = 0.05


def _cell_means(values: npt.NDArray[np.float32], size: tuple[int, int]) -> npt.NDArray[np.float32]:
    """Average pooling of (C, H, W) down to (C, *size); H and W are multiples of size."""
    channels, height, width = values.shape
    rows, columns = size
    means: npt.NDArray[np.float32] = values.reshape(channels, rows, height // rows, columns, width // columns).mean(
        axis=(2, 4)
    )
    return means


def anchor(
    ab_norm: npt.NDArray[np.float32],
    l_norm: npt.NDArray[np.float32],
    hint_ab_norm: npt.NDArray[np.float32],
    hint_mask: npt.NDArray[np.float32],
    settings_: Anchoring,
) -> npt.NDArray[np.float32]:
    """Pull a prediction (1x2xhxw, normalised ab) to the hints' colours around them, without
    crossing edges.

    A network alone follows a hint only loosely; a person who clicked a colour expects to see
    it. The residual (hint minus prediction) at each hinted cell is spread by a joint
    bilateral weight (near in space and in lightness) and blended with the prediction, which
    wins where no hint is near. Nothing here is learned.
    """
    size = ab_norm.shape[-2:]
    coverage = _cell_means(hint_mask[0], size)[0]
    hinted = coverage > 0
    if not hinted.any():
        return ab_norm
    lightness = _cell_means(l_norm[0], size)[0]
    hint_ab_cells = _cell_means(hint_ab_norm[0] * hint_mask[0], size) / np.maximum(coverage, 1e-6)
    prediction = ab_norm[0]
    residual = (hint_ab_cells - prediction)[:, hinted]  # (2, P)
    rows, columns = np.meshgrid(
        np.arange(size[0], dtype=np.float32), np.arange(size[1], dtype=np.float32), indexing="ij"
    )
    spatial_sigma = settings_.spatial_sigma * max(size)
    distance2 = (rows[..., None] - rows[hinted]) ** 2 + (columns[..., None] - columns[hinted]) ** 2
    contrast2 = (lightness[..., None] - lightness[hinted]) ** 2
    weight = np.exp(-distance2 / (2 * spatial_sigma**2) - contrast2 / (2 * settings_.lightness_sigma**2))  # (H, W, P)
    correction = (weight @ residual.T) / (weight.sum(-1, keepdims=True) + settings_.prior)  # (H, W, 2)
    anchored: npt.NDArray[np.float32] = (prediction + correction.transpose(2, 0, 1))[None].astype(np.float32)
    return anchored
