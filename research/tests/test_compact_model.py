"""The shipped compact model, loaded from the repository's own weights file."""

import numpy as np
import pytest
from PIL import Image

from colorize import site
from colorize.colour import rgb_to_lab
from colorize.hints import Hint
from colorize.pipeline import colorize
from colorize.registry import get_spec
from colorize.weights import sha256_of
from research.checkpoints import checkpoint_path
from research.training.evaluate import grayscale_of
from research.training.metrics import colourfulness, psnr
from research.training.simulated_hints import ground_truth_hints

SHIPPED = checkpoint_path(get_spec("compact"))


def lab_of(rgb):
    return rgb_to_lab(rgb / 255.0).transpose(2, 0, 1)


def colorized(truth, hints=()):
    return np.asarray(
        colorize(Image.fromarray(grayscale_of(truth)), model=site.model("compact"), hints=hints).convert("RGB")
    )


def test_shipped_weights_are_the_registered_file_within_the_size_budget():
    assert sha256_of(SHIPPED) == get_spec("compact").sha256
    assert SHIPPED.stat().st_size <= 8 * 1024 * 1024
    assert site.weights_store().runtime_path(get_spec("compact")).stat().st_size <= 8 * 1024 * 1024


def test_automatic_output_is_colour_not_grey(sample_photos):
    for truth in sample_photos:
        assert colourfulness(colorized(truth)) > 8


def test_more_hints_bring_the_output_closer_to_the_truth(sample_photos):
    totals = {0: 0.0, 10: 0.0, 50: 0.0}
    for index, truth in enumerate(sample_photos):
        for count in totals:
            rng = np.random.default_rng([index, count])
            hints = [Hint(x, y, colour) for x, y, colour in ground_truth_hints(truth, count, rng)]
            totals[count] += psnr(colorized(truth, hints), truth)
    assert totals[0] < totals[10] < totals[50]


@pytest.mark.parametrize(("colour", "channel", "sign"), [("#1f4fd0", 2, -1), ("#d03020", 1, 1)])
def test_a_hint_turns_its_neighbourhood_toward_its_colour(sample_photos, colour, channel, sign):
    truth = sample_photos[0]
    height, width = truth.shape[:2]
    x, y = width // 2, height // 2
    window = (slice(y - height // 20, y + height // 20), slice(x - width // 20, x + width // 20))
    before = lab_of(colorized(truth))[channel][window].mean()
    after = lab_of(colorized(truth, [Hint(x, y, colour)]))[channel][window].mean()
    assert sign * (after - before) > 10
