"""The torch-free state_dict reader: torch's own files in both formats, and hostile ones."""

import io
import pickle
import subprocess
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

from colorize.checkpoint import read_state_dict
from colorize.errors import ColorizeError, NotAWeightFile, UnsafeWeightFile
from research.networks.zhang import ECCV16, SIGGRAPH17

FORMATS = {"zip": True, "legacy": False}  # torch.save's _use_new_zipfile_serialization


def save(obj, path, fmt):
    torch.save(obj, path, _use_new_zipfile_serialization=FORMATS[fmt])
    return path


@pytest.fixture(params=FORMATS)
def fmt(request):
    return request.param


@pytest.fixture
def shared_storage():
    """A storage and two views of it: torch saves the storage once, with offsets."""
    base = torch.arange(40, dtype=torch.float32) * 0.5
    return {"base": base, "view": base[6:18].view(3, 4), "every_third": base[1::3]}


# --- Round trips of torch's own files ---------------------------------------------------------


def test_float32_conv_weights_round_trip_exactly(tmp_path, fmt):
    torch.manual_seed(0)
    state = OrderedDict(weight=torch.randn(8, 3, 3, 3), bias=torch.randn(8))
    read = read_state_dict(save(state, tmp_path / "w.pth", fmt))
    assert list(read) == list(state)
    for key, tensor in state.items():
        assert read[key].dtype == np.float32
        assert read[key].shape == tuple(tensor.shape)
        assert np.array_equal(read[key], tensor.numpy()), key


def test_a_non_contiguous_tensor_keeps_its_values(tmp_path, fmt):
    torch.manual_seed(1)
    transposed = torch.randn(5, 7).t()
    assert not transposed.is_contiguous()
    read = read_state_dict(save({"t": transposed}, tmp_path / "w.pth", fmt))["t"]
    assert read.shape == (7, 5)
    assert read.flags.c_contiguous
    assert np.array_equal(read, transposed.contiguous().numpy())


def test_views_sharing_a_storage_come_back_with_their_offsets(tmp_path, fmt, shared_storage):
    read = read_state_dict(save(shared_storage, tmp_path / "w.pth", fmt))
    for key, tensor in shared_storage.items():
        assert np.array_equal(read[key], tensor.contiguous().numpy()), key


def test_arrays_from_one_storage_are_independent_copies(tmp_path, fmt, shared_storage):
    read = read_state_dict(save(shared_storage, tmp_path / "w.pth", fmt))
    read["base"][:] = -1
    assert np.array_equal(read["view"], shared_storage["view"].numpy())


def test_num_batches_tracked_stays_an_int64_scalar(tmp_path, fmt):
    read = read_state_dict(save({"bn.num_batches_tracked": torch.tensor(123456789012)}, tmp_path / "w.pth", fmt))
    value = read["bn.num_batches_tracked"]
    assert value.dtype == np.int64
    assert value.shape == ()
    assert int(value) == 123456789012


@pytest.mark.parametrize("network", [ECCV16, SIGGRAPH17], ids=["eccv16", "siggraph17"])
def test_a_zhang_state_dict_reads_back_in_the_official_layout(tmp_path, fmt, network, official_layouts):
    torch.manual_seed(0)
    state = network().state_dict()
    read = read_state_dict(save(state, tmp_path / "w.pth", fmt))
    assert {key: list(value.shape) for key, value in read.items()} == official_layouts[network.__name__.lower()]
    for key, tensor in state.items():
        assert np.array_equal(read[key], tensor.numpy()), key


# --- Files that are weights, but not made by torch.save here ----------------------------------


class _Storage:
    """Pickled as a persistent id, like torch pickles a storage."""

    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class _Tensor:
    """Pickled as ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)``."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, OrderedDict())


class _TorchLikePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, _Tensor):
            return torch._utils._rebuild_tensor_v2, obj.args
        return NotImplemented


def write_zip(path, data_pkl, storages=None, byteorder="little"):
    """A zip laid out like torch's: archive/data.pkl, archive/data/<key>, archive/byteorder."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/byteorder", byteorder)
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)
        archive.writestr("archive/version", "3\n")
    return path


def torch_like_pickle(state):
    buffer = io.BytesIO()
    _TorchLikePickler(buffer, protocol=2).dump(state)
    return buffer.getvalue()


def test_a_big_endian_zip_is_read_by_its_byteorder(tmp_path):
    values = np.array([1.5, -2.25, 3.0], dtype=">f4")
    data_pkl = torch_like_pickle({"w": _Tensor(_Storage("0", 3), 0, (3,), (1,))})
    path = write_zip(tmp_path / "big.pth", data_pkl, {"0": values.tobytes()}, byteorder="big")
    assert read_state_dict(path)["w"].tolist() == [1.5, -2.25, 3.0]


def test_a_tensor_reaching_past_its_storage_is_refused(tmp_path):
    data_pkl = torch_like_pickle({"w": _Tensor(_Storage("0", 4), 2, (3,), (1,))})
    path = write_zip(tmp_path / "w.pth", data_pkl, {"0": np.zeros(4, "<f4").tobytes()})
    with pytest.raises(NotAWeightFile, match="past the end"):
        read_state_dict(path)


def test_a_storage_shorter_than_its_tensor_says_is_refused(tmp_path):
    data_pkl = torch_like_pickle({"w": _Tensor(_Storage("0", 4), 0, (4,), (1,))})
    path = write_zip(tmp_path / "w.pth", data_pkl, {"0": np.zeros(3, "<f4").tobytes()})
    with pytest.raises(NotAWeightFile, match="storage 0"):
        read_state_dict(path)


# --- Hostile files ----------------------------------------------------------------------------


def os_system_pickle(marker):
    """A protocol-0 pickle whose loading runs ``os.system('touch <marker>')``."""
    return b"cos\nsystem\n(V" + f"touch {marker}".encode() + b"\ntR."


def builtins_eval_pickle(marker):
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    return b"cbuiltins\neval\n(V" + code.encode() + b"\ntR."


PAYLOADS = {"os.system": os_system_pickle, "builtins.eval": builtins_eval_pickle}


def write_legacy(path, payload):
    """The legacy layout's header pickles (magic, protocol, system info), then ``payload``."""
    header = b"".join(
        pickle.dumps(value, protocol=2)
        for value in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True})
    )
    path.write_bytes(header + payload)
    return path


def write_hostile(path, fmt, payload):
    return write_zip(path, payload) if fmt == "zip" else write_legacy(path, payload)


@pytest.mark.parametrize("global_name", PAYLOADS)
def test_the_payloads_are_live_under_plain_pickle(tmp_path, global_name):
    """Control for the next test: plain pickle does run them (harmlessly: it makes a file)."""
    marker = tmp_path / "marker"
    pickle.loads(PAYLOADS[global_name](marker))
    assert marker.exists()


@pytest.mark.parametrize("global_name", PAYLOADS)
def test_a_file_calling_a_dangerous_global_is_refused_unrun(tmp_path, fmt, global_name):
    marker = tmp_path / "marker"
    path = write_hostile(tmp_path / "evil.pth", fmt, PAYLOADS[global_name](marker))
    with pytest.raises(UnsafeWeightFile, match=f"refused global {global_name}"):
        read_state_dict(path)
    assert not marker.exists()


def test_a_pickled_module_is_refused_as_unsafe(tmp_path, fmt):
    path = save(torch.nn.Conv2d(1, 1, 1), tmp_path / "module.pth", fmt)
    with pytest.raises(UnsafeWeightFile, match=r"refused global torch\.nn\.modules\.conv\.Conv2d"):
        read_state_dict(path)


def test_weight_file_errors_are_colorize_errors_with_a_user_message():
    for error in (UnsafeWeightFile("detail"), NotAWeightFile("detail")):
        assert isinstance(error, ColorizeError)
        assert error.user_message
        assert "detail" not in error.user_message


# --- Files that are not weights ---------------------------------------------------------------


def test_random_bytes_are_not_a_weight_file(tmp_path):
    path = tmp_path / "noise.pth"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(NotAWeightFile):
        read_state_dict(path)


def test_an_empty_file_is_not_a_weight_file(tmp_path):
    path = tmp_path / "empty.pth"
    path.touch()
    with pytest.raises(NotAWeightFile):
        read_state_dict(path)


@pytest.mark.parametrize("keep", [0.3, 0.99])
def test_a_truncated_file_is_not_a_weight_file(tmp_path, fmt, keep):
    data = save({"w": torch.randn(64, 64)}, tmp_path / "full.pth", fmt).read_bytes()
    path = tmp_path / "cut.pth"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(NotAWeightFile):
        read_state_dict(path)


@pytest.mark.parametrize(
    "obj",
    [[torch.ones(2)], {"w": torch.ones(2), "epoch": 3}, {"state_dict": {"w": torch.ones(2)}}, {1: torch.ones(2)}],
    ids=["list", "non-tensor-value", "wrapped-state-dict", "non-str-key"],
)
def test_a_torch_file_of_something_else_than_a_state_dict_is_not_a_weight_file(tmp_path, fmt, obj):
    with pytest.raises(NotAWeightFile):
        read_state_dict(save(obj, tmp_path / "other.pth", fmt))


def test_a_plain_pickle_of_a_dict_is_not_a_weight_file(tmp_path):
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    with pytest.raises(NotAWeightFile, match="magic number"):
        read_state_dict(path)


def test_the_reader_imports_neither_torch_nor_django():
    code = "import sys; sys.modules['torch'] = sys.modules['django'] = None; import colorize.checkpoint"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2]
    )
    assert result.returncode == 0, result.stderr
