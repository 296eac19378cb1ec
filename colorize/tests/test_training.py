"""The compact model's training pieces, run for real on a tiny copy of the sample photos."""

import shutil

import numpy as np
import pytest
import torch

from colorize.networks.compact import CompactColorizer
from colorize.training.hints import ground_truth_hints, simulate_hints
from colorize.training.metrics import ciede2000, colourfulness, psnr
from colorize.training.train import TrainingConfig, soft_targets, train


@pytest.fixture
def tiny_dataset(tmp_path, sample_photo_paths):
    photos = sample_photo_paths
    (tmp_path / "data" / "train").mkdir(parents=True)
    (tmp_path / "data" / "train-extra" / "faces").mkdir(parents=True)
    for index, photo in enumerate(photos):
        folder = "train" if index % 2 else "train-extra/faces"
        shutil.copy(photo, tmp_path / "data" / folder / photo.name)
    return tmp_path


def tiny_config(root, steps):
    return TrainingConfig(
        dataset_root=str(root / "data"),
        work_dir=str(root / "work"),
        output=str(root / "out.pt"),
        widths=(8, 16, 16, 16),
        steps=steps,
        batch_size=4,
        crop=32,
        cache_size=40,
        holdout=1,
        checkpoint_every=1,
        threads=1,
    )


def test_simulated_hint_carries_the_mean_colour_of_its_patch():
    ab = torch.rand(1, 2, 16, 16) - 0.5
    hint_ab, mask = simulate_hints(ab, np.random.default_rng(3), no_hint_probability=0.0, max_patch=1)
    marked = mask[0, 0].bool()
    assert marked.any()
    assert torch.allclose(hint_ab[0][:, marked], ab[0][:, marked])
    assert torch.all(hint_ab[0][:, ~marked] == 0)


def test_no_hint_probability_one_gives_empty_hints():
    ab = torch.rand(4, 2, 16, 16)
    hint_ab, mask = simulate_hints(ab, np.random.default_rng(0), no_hint_probability=1.0)
    assert mask.sum() == 0 and hint_ab.abs().sum() == 0


def test_ground_truth_hints_take_the_photo_colour_at_the_point():
    photo = np.zeros((50, 80, 3), dtype=np.uint8)
    photo[..., 0] = 200
    hints = ground_truth_hints(photo, 5, np.random.default_rng(1))
    assert len(hints) == 5
    assert all(colour == "#c80000" for _, _, colour in hints)
    assert all(0 <= x < 80 and 0 <= y < 50 for x, y, _ in hints)


def test_soft_targets_are_distributions_peaked_at_the_nearest_bin():
    centres = CompactColorizer((8, 8, 8, 8)).bin_centres
    ab_norm = torch.tensor([30.0, -20.0]).view(1, 2, 1, 1) / 110
    target = soft_targets(ab_norm, centres, sigma=5.0)
    assert torch.isclose(target.sum(), torch.tensor(1.0))
    assert torch.allclose(centres[target.flatten().argmax()] * 110, torch.tensor([30.0, -20.0]))


def test_training_checkpoints_and_resumes_where_it_stopped(tiny_dataset):
    train(tiny_config(tiny_dataset, steps=2))
    checkpoint = tiny_dataset / "work" / "checkpoint.pt"
    assert torch.load(checkpoint, weights_only=False)["step"] == 2
    train(tiny_config(tiny_dataset, steps=3))
    assert torch.load(checkpoint, weights_only=False)["step"] == 3


def test_training_is_reproducible_from_the_seed(tiny_dataset, tmp_path):
    first = train(tiny_config(tiny_dataset, steps=2)).state_dict()
    shutil.rmtree(tiny_dataset / "work")
    second = train(tiny_config(tiny_dataset, steps=2)).state_dict()
    assert all(torch.allclose(first[key].float(), second[key].float()) for key in first)


def test_psnr_of_identical_images_is_infinite_and_of_known_error_is_exact():
    image = np.full((4, 4, 3), 100, dtype=np.uint8)
    assert psnr(image, image) == float("inf")
    assert psnr(image + 1, image) == pytest.approx(20 * np.log10(255))


def test_colourfulness_of_grey_is_zero_and_of_colour_positive():
    assert colourfulness(np.full((8, 8, 3), 128, dtype=np.uint8)) == 0
    colourful = np.zeros((8, 8, 3), dtype=np.uint8)
    colourful[:4, :, 0] = 255
    colourful[4:, :, 2] = 255
    assert colourfulness(colourful) > 50


def test_ciede2000_is_zero_for_identical_and_large_for_opposite_colours():
    red = np.zeros((2, 2, 3), dtype=np.uint8)
    red[..., 0] = 255
    green = np.zeros((2, 2, 3), dtype=np.uint8)
    green[..., 1] = 255
    assert ciede2000(red, red) == pytest.approx(0, abs=1e-6)
    assert ciede2000(red, green) > 50


def test_the_prior_is_the_models_mean_prediction(tmp_path):
    from PIL import Image

    from colorize.training.prior import measure_log_prior

    torch.manual_seed(0)
    model = CompactColorizer((8, 8, 8, 8)).eval()
    paths = []
    for index in range(3):
        path = tmp_path / f"{index}.png"
        Image.fromarray(np.random.default_rng(index).integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    log_prior = measure_log_prior(model, paths, input_size=32, batch=2)
    assert log_prior.shape == (529,)
    assert torch.exp(log_prior).sum().item() == pytest.approx(1.0, abs=1e-4)
    from colorize.training.data import load_square
    from colorize.training.train import to_lab_norm

    l_norm, _ = to_lab_norm(np.stack([load_square(p, 32) for p in paths]))
    zeros = torch.zeros_like(l_norm)
    with torch.inference_mode():
        expected = torch.softmax(model.logits(l_norm, zeros.expand(-1, 2, -1, -1), zeros), dim=1).mean(dim=(0, 2, 3))
    assert torch.allclose(torch.exp(log_prior), expected, atol=1e-5)


def test_prior_photos_come_from_train_and_never_from_the_holdout(tiny_dataset):
    import json

    from colorize.training.prior import prior_photos

    data = tiny_dataset / "data"
    train_photos = sorted((data / "train").iterdir())
    work = tiny_dataset / "work"
    work.mkdir()
    (work / "holdout.json").write_text(json.dumps([str(train_photos[0])]))
    chosen = prior_photos(data, work, count=100)
    assert chosen and all(p.parent == data / "train" for p in chosen)
    assert train_photos[0] not in chosen


def test_a_compact_v1_file_given_a_prior_predicts_the_same_at_strength_0():
    from colorize.training.prior import with_prior

    torch.manual_seed(0)
    old = CompactColorizer((8, 16, 16, 16), context=False, prior=False).eval()
    state = with_prior(old.state_dict())
    assert set(state) == set(old.state_dict()) | {"log_prior"}
    new = CompactColorizer((8, 16, 16, 16), context=False, prior=True).eval()
    new.load_state_dict(state)
    l_norm = torch.rand(1, 1, 32, 32) - 0.5
    with torch.inference_mode():
        assert torch.equal(old(l_norm), new(l_norm))
