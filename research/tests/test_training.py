"""The compact model's training pieces, run for real on a tiny copy of the sample photos."""

import io
import json
import shutil

import numpy as np
import pytest
import torch

from colorize.colour import rgb_to_lab
from research.networks.compact import CompactColorizer
from research.training.metrics import ciede2000, colourfulness, psnr
from research.training.simulated_hints import ground_truth_hints, simulate_hints
from research.training.torch_colour import rgb_to_lab as tensor_rgb_to_lab
from research.training.train import (
    TrainingConfig,
    augment,
    holdout_loss,
    soft_targets,
    train,
    training_photos,
)


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
    hint_ab, mask = simulate_hints(ab, torch.Generator().manual_seed(3), no_hint_probability=0.0, max_patch=1)
    marked = mask[0, 0].bool()
    assert marked.any()
    assert torch.allclose(hint_ab[0][:, marked], ab[0][:, marked])
    assert torch.all(hint_ab[0][:, ~marked] == 0)


def test_a_simulated_patch_carries_the_mean_colour_of_the_pixels_it_covers():
    ab = torch.rand(1, 2, 12, 12) - 0.5
    hint_ab, mask = simulate_hints(
        ab, torch.Generator().manual_seed(5), no_hint_probability=0.0, geometric_p=0.99, max_points=1, max_patch=5
    )
    marked = mask[0, 0].bool()
    rows, cols = torch.nonzero(marked, as_tuple=True)
    patch = ab[0][:, rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    assert marked.sum() == patch.shape[1] * patch.shape[2]
    assert patch.shape[1] == patch.shape[2]
    assert torch.allclose(hint_ab[0][:, marked], patch.mean(dim=(1, 2))[:, None].expand(-1, int(marked.sum())))


def test_hint_counts_vary_and_about_half_the_photos_get_none():
    ab = torch.rand(400, 2, 16, 16)
    _, mask = simulate_hints(ab, torch.Generator().manual_seed(1))
    hinted = mask.flatten(1).sum(1) > 0
    assert 0.4 < hinted.float().mean() < 0.6
    assert len(set(mask[hinted].flatten(1).sum(1).tolist())) > 10


def test_tensor_lab_matches_the_engines_lab():
    rgb = np.random.default_rng(2).random((3, 5, 7, 3))
    expected = rgb_to_lab(rgb)
    got = tensor_rgb_to_lab(torch.from_numpy(rgb).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
    assert np.abs(got - expected).max() < 1e-6


def test_augment_crops_resizes_and_flips_the_batch():
    stripes = np.zeros((64, 40, 40, 3), dtype=np.uint8)
    stripes[:, :, :20, 0] = 255  # red on the left half, black on the right
    out = augment(torch.from_numpy(stripes), torch.Generator().manual_seed(0), crop=16)
    assert out.shape == (64, 3, 16, 16)
    assert out.min() >= 0
    assert out.max() <= 1
    left_is_red = out[:, 0, :, :4].mean(dim=(1, 2)) > out[:, 0, :, -4:].mean(dim=(1, 2))
    assert 0 < left_is_red.sum() < 64  # some flipped, some not
    assert torch.all(out[:, 1:] == 0)


def test_augment_crops_no_smaller_than_the_minimum_scale():
    # A single white pixel in the corner of a black photo: a crop of at least 90% of the side
    # always holds it, so every crop shows some white; at 10% most crops miss it.
    corner = np.zeros((64, 40, 40, 3), dtype=np.uint8)
    corner[:, 18:22, 18:22] = 255
    wide = augment(torch.from_numpy(corner), torch.Generator().manual_seed(0), crop=16, min_scale=0.9)
    narrow = augment(torch.from_numpy(corner), torch.Generator().manual_seed(0), crop=16, min_scale=0.1)
    assert torch.all(wide.amax(dim=(1, 2, 3)) > 0)
    assert (narrow.amax(dim=(1, 2, 3)) == 0).sum() > 16


def test_exposure_jitter_makes_crops_lighter_and_darker_but_keeps_black_and_white():
    grey = np.full((64, 8, 8, 3), 128, dtype=np.uint8)
    grey[:, 0] = 0  # a black top row and a white bottom one (rows, as flips are horizontal)
    grey[:, 7] = 255
    out = augment(torch.from_numpy(grey), torch.Generator().manual_seed(0), crop=8, min_scale=1.0, exposure_jitter=0.4)
    middle = out[:, :, 4, 4].mean(dim=1)
    plain = 128 / 255
    assert (middle > plain + 0.02).any()
    assert (middle < plain - 0.02).any()
    assert torch.all(middle > plain ** np.exp(0.4) - 1e-4)
    assert torch.all(middle < plain ** np.exp(-0.4) + 1e-4)
    assert torch.all(out[:, :, 0] == 0)
    assert torch.allclose(out[:, :, 7], torch.ones(64, 3, 8))


def test_no_hint_probability_one_gives_empty_hints():
    ab = torch.rand(4, 2, 16, 16)
    hint_ab, mask = simulate_hints(ab, torch.Generator().manual_seed(0), no_hint_probability=1.0)
    assert mask.sum() == 0
    assert hint_ab.abs().sum() == 0


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


def test_soft_targets_are_the_gaussian_over_all_bins():
    centres = CompactColorizer((8, 8, 8, 8)).bin_centres
    ab_norm = (torch.rand(2, 2, 3, 4, generator=torch.Generator().manual_seed(0)) * 2 - 1) * 1.2
    distance = ((ab_norm[:, None] - centres[None, :, :, None, None]) * 110).pow(2).sum(2)
    dense = torch.softmax(-distance / (2 * 5.0**2), dim=1)
    assert torch.allclose(soft_targets(ab_norm, centres, sigma=5.0), dense, atol=1e-6)


def test_training_checkpoints_and_resumes_where_it_stopped(tiny_dataset):
    train(tiny_config(tiny_dataset, steps=2))
    checkpoint = tiny_dataset / "work" / "checkpoint.pt"
    assert torch.load(checkpoint, weights_only=False)["step"] == 2
    train(tiny_config(tiny_dataset, steps=3))
    assert torch.load(checkpoint, weights_only=False)["step"] == 3


def test_training_resumes_a_checkpoint_written_before_the_generator_was_kept(tiny_dataset, caplog):
    train(tiny_config(tiny_dataset, steps=2))
    checkpoint = tiny_dataset / "work" / "checkpoint.pt"
    state = torch.load(checkpoint, weights_only=False)
    state["torch_rng"] = torch.get_rng_state()
    del state["generator"]
    torch.save(state, checkpoint)
    with caplog.at_level("WARNING", logger="research.training.train"):
        train(tiny_config(tiny_dataset, steps=3))
    assert torch.load(checkpoint, weights_only=False)["step"] == 3
    assert any("no batch generator state" in record.message for record in caplog.records)


def test_training_is_reproducible_from_the_seed(tiny_dataset, tmp_path):
    first = train(tiny_config(tiny_dataset, steps=2)).state_dict()
    shutil.rmtree(tiny_dataset / "work")
    second = train(tiny_config(tiny_dataset, steps=2)).state_dict()
    assert all(torch.allclose(first[key].float(), second[key].float()) for key in first)


def test_training_keeps_candidate_weights_and_logs_the_held_out_loss(tiny_dataset, caplog):
    config = tiny_config(tiny_dataset, steps=4)
    config.keep_every = 2
    config.keep_dir = str(tiny_dataset / "kept")
    with caplog.at_level("INFO", logger="research.training.train"):
        train(config)
    kept = sorted(p.name for p in (tiny_dataset / "kept").glob("weights-*.pt"))
    assert kept == ["weights-2.pt", "weights-4.pt"]
    assert (
        torch.load(tiny_dataset / "kept" / "weights-4.pt", weights_only=True)["classify.weight"].dtype == torch.float16
    )
    assert sum("held-out loss" in record.message for record in caplog.records) == 2


def test_keep_best_keeps_only_the_lowest_held_out_loss(tiny_dataset, caplog):
    config = tiny_config(tiny_dataset, steps=6)
    config.keep_every, config.keep_best, config.learning_rate = 2, True, 0.05
    config.keep_dir = str(tiny_dataset / "kept")
    with caplog.at_level("INFO", logger="research.training.train"):
        train(config)
    losses = [float(r.message.split("loss ")[1].split()[0]) for r in caplog.records if "held-out loss" in r.message]
    assert len(losses) == 4  # the starting weights, then steps 2, 4 and 6
    assert sorted(p.name for p in (tiny_dataset / "kept").iterdir()) == ["best.pt"]
    best = torch.load(tiny_dataset / "kept" / "best.pt", weights_only=True)
    candidate = CompactColorizer(config.widths)
    candidate.load_state_dict({key: value.float() for key, value in best.items()})
    pixels = torch.from_numpy(np.load(next((tiny_dataset / "work").glob("photos-*.npy"))))
    held = json.loads((tiny_dataset / "work" / "holdout.json").read_text())
    assert len(held) == 1
    holdout_pixels = pixels[[i for i, path in enumerate(training_photos(config.dataset_root)) if str(path) in held]]
    assert holdout_loss(candidate, holdout_pixels, config) == pytest.approx(min(losses), abs=2e-3)


def test_keep_best_remembers_the_best_loss_across_a_resume(tiny_dataset, caplog):
    config = tiny_config(tiny_dataset, steps=2)
    config.keep_every, config.keep_best = 2, True
    config.keep_dir = str(tiny_dataset / "kept")
    train(config)
    config.steps = 4
    caplog.clear()
    with caplog.at_level("INFO", logger="research.training.train"):
        train(config)
    measured = [r.message for r in caplog.records if "held-out loss" in r.message]
    assert [message.split(":")[0] for message in measured] == ["step 4"]  # no new starting point


def test_the_weight_average_is_the_moving_average_of_each_steps_weights_across_a_resume(tiny_dataset):
    config = tiny_config(tiny_dataset, steps=1)
    config.ema_decay = 0.5
    first = train(config).state_dict()
    checkpoint = tiny_dataset / "work" / "checkpoint.pt"
    after_one = torch.load(checkpoint, weights_only=False)["model"]
    assert all(torch.equal(first[key], after_one[key]) for key in first)  # the first step's weights, copied
    config.steps = 2
    averaged = train(config).state_dict()
    after_two = torch.load(checkpoint, weights_only=False)["model"]
    key = "classify.weight"
    assert not torch.allclose(after_one[key], after_two[key])
    assert torch.allclose(averaged[key], (after_one[key] + after_two[key]) / 2, atol=1e-6)


def test_a_run_without_a_weight_average_resumes_with_one_started_from_its_weights(tiny_dataset, caplog):
    train(tiny_config(tiny_dataset, steps=1))
    trained = torch.load(tiny_dataset / "work" / "checkpoint.pt", weights_only=False)["model"]
    config = tiny_config(tiny_dataset, steps=1)
    config.ema_decay = 0.5
    with caplog.at_level("WARNING", logger="research.training.train"):
        resumed = train(config).state_dict()  # nothing left to train: the average as it starts
    assert any("no weight average" in record.message for record in caplog.records)
    assert all(torch.equal(resumed[key], trained[key]) for key in trained)


def test_the_kept_weights_are_the_weight_average(tiny_dataset):
    config = tiny_config(tiny_dataset, steps=2)
    config.keep_every, config.ema_decay, config.learning_rate, config.warmup = 2, 0.5, 0.05, 1
    averaged = train(config).state_dict()
    kept = torch.load(tiny_dataset / "work" / "weights-2.pt", weights_only=True)
    trained = torch.load(tiny_dataset / "work" / "checkpoint.pt", weights_only=False)["model"]
    key = "classify.weight"
    assert torch.allclose(kept[key].float(), averaged[key], atol=1e-3)
    assert not torch.allclose(kept[key].float(), trained[key], atol=1e-3)


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

    from research.training.prior import measure_log_prior

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
    from research.training.data import load_square
    from research.training.train import to_lab_norm

    l_norm, _ = to_lab_norm(np.stack([load_square(p, 32) for p in paths]))
    zeros = torch.zeros_like(l_norm)
    with torch.inference_mode():
        expected = torch.softmax(model.logits(l_norm, zeros.expand(-1, 2, -1, -1), zeros), dim=1).mean(dim=(0, 2, 3))
    assert torch.allclose(torch.exp(log_prior), expected, atol=1e-5)


def test_prior_photos_come_from_train_and_never_from_the_holdout(tiny_dataset):
    import json

    from research.training.prior import prior_photos

    data = tiny_dataset / "data"
    train_photos = sorted((data / "train").iterdir())
    work = tiny_dataset / "work"
    work.mkdir()
    (work / "holdout.json").write_text(json.dumps([str(train_photos[0])]))
    chosen = prior_photos(data, work, count=100)
    assert chosen
    assert all(p.parent == data / "train" for p in chosen)
    assert train_photos[0] not in chosen


def test_a_compact_v1_file_given_a_prior_predicts_the_same_at_strength_0():
    from research.training.prior import with_prior

    torch.manual_seed(0)
    old = CompactColorizer((8, 16, 16, 16), context=False, prior=False).eval()
    state = with_prior(old.state_dict())
    assert set(state) == set(old.state_dict()) | {"log_prior"}
    new = CompactColorizer((8, 16, 16, 16), context=False, prior=True).eval()
    new.load_state_dict(state)
    l_norm = torch.rand(1, 1, 32, 32) - 0.5
    with torch.inference_mode():
        assert torch.equal(old(l_norm), new(l_norm))


def test_the_train_command_writes_weights_of_the_widths_asked_for(tiny_dataset):
    from django.core.management import call_command

    output = tiny_dataset / "candidate.pt"
    call_command(
        "train_compact",
        data=str(tiny_dataset / "data"),
        work_dir=str(tiny_dataset / "work"),
        output=str(output),
        steps=1,
        batch_size=2,
        threads=1,
        widths="8,16,16,16",
        keep_every=1,
        stdout=io.StringIO(),
    )
    state = torch.load(output, weights_only=True)
    assert state["stem.0.weight"].shape[0] == 8
    assert state["down16.0.weight"].shape[0] == 16
    assert (tiny_dataset / "work" / "weights-1.pt").exists()


def test_the_gpu_pack_holds_every_training_photo_as_a_cache_sized_webp(tiny_dataset, tmp_path):
    import subprocess
    import sys
    import tarfile

    from django.conf import settings
    from PIL import Image

    script = settings.BASE_DIR / "scripts" / "train-compact-gpu"
    subprocess.run(
        [sys.executable, script, "pack", tiny_dataset / "data", tmp_path / "pack"], check=True, cwd=settings.BASE_DIR
    )
    members = {}
    for part in (1, 2):
        with tarfile.open(tmp_path / "pack" / f"photos-{part}.tar") as archive:
            for member in archive.getmembers():
                members[member.name] = Image.open(io.BytesIO(archive.extractfile(member).read())).size
    photos = sorted(p.relative_to(tiny_dataset / "data") for p in (tiny_dataset / "data").rglob("*.*"))
    assert sorted(members) == sorted(str(p.with_suffix(".webp")) for p in photos)
    assert set(members.values()) == {(144, 144)}
