"""Read a PyTorch state_dict file without torch and without running its pickle's code.

Production colorizes with ONNX Runtime and has no torch, yet the authors publish their
weights as ``torch.save`` files, which are pickles: loading one with ``pickle`` (or with
``torch.load(weights_only=False)``) may run any code its author chose. This reader accepts
the two formats ``torch.load`` accepts for a plain state_dict of tensors and nothing more:

- zip (``torch.save`` since torch 1.6): ``<name>/data.pkl`` holds the pickle,
  ``<name>/data/<key>`` each storage's raw bytes, ``<name>/byteorder`` their byte order.
- legacy (``_use_new_zipfile_serialization=False``): pickles one after another (magic
  number, protocol version, system info, the state_dict, the list of storage keys), then
  each storage as an 8-byte element count followed by its bytes.

The pickle may name only the few globals a state_dict needs (``collections.OrderedDict``,
``torch._utils._rebuild_tensor_v2``, the numeric storage types); each is mapped to a
harmless stand-in here, so no torch code is imported or called. Any other global means
the file is not a plain weight file, and it is refused with :class:`UnsafeWeightFile`
before anything it names is looked up.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any, Literal

import numpy as np

from colorize.errors import ColorizeError, NotAWeightFile, UnsafeWeightFile

__all__ = ["read_state_dict"]

# The first pickle of a legacy file, and its protocol version (torch/serialization.py).
LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001

ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class _StorageType:
    """Stand-in for ``torch.FloatStorage`` and kin: only the element type is kept."""

    name: str
    dtype: np.dtype


def _bfloat16_to_float32(raw: np.ndarray) -> np.ndarray:
    """bfloat16 is the top half of a float32; numpy has no bfloat16, so widen it."""
    return (raw.astype(np.uint32) << 16).view(np.float32)


# Element types as stored on disk (little-endian unless the file says otherwise).
# BFloat16 is read as its raw 16 bits and widened to float32 afterwards.
_STORAGE_TYPES: dict[str, _StorageType] = {
    name: _StorageType(name, np.dtype(code))
    for name, code in {
        "FloatStorage": "<f4",
        "DoubleStorage": "<f8",
        "HalfStorage": "<f2",
        "BFloat16Storage": "<u2",
        "LongStorage": "<i8",
        "IntStorage": "<i4",
        "ShortStorage": "<i2",
        "CharStorage": "i1",
        "ByteStorage": "u1",
        "BoolStorage": "?",
    }.items()
}


@dataclass(frozen=True)
class _StorageRef:
    """A storage named by the pickle's persistent id; its bytes are read afterwards."""

    key: str
    storage_type: _StorageType
    numel: int
    element_offset: int = 0  # legacy storage views only


@dataclass(frozen=True)
class _TensorRef:
    """What ``_rebuild_tensor_v2`` was asked for, resolved once the storages are read."""

    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(
    storage: Any,
    storage_offset: Any,
    size: Any,
    stride: Any,
    requires_grad: Any = False,
    backward_hooks: Any = None,
    metadata: Any = None,
) -> _TensorRef:
    """Stand-in for ``torch._utils._rebuild_tensor_v2``: record the view, check its types."""
    if not isinstance(storage, _StorageRef):
        raise NotAWeightFile("a tensor is built on something that is not a storage")
    if not _is_int(storage_offset) or not _is_int_tuple(size) or not _is_int_tuple(stride):
        raise NotAWeightFile("a tensor has a malformed offset, size or stride")
    if len(size) != len(stride):
        raise NotAWeightFile(f"a tensor's size {size} and stride {stride} differ in length")
    return _TensorRef(storage, storage_offset, tuple(size), tuple(stride))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_int_tuple(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(_is_int(item) for item in value)


# The only globals a pickled state_dict may name, and what each becomes here.
_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    **{("torch", name): storage_type for name, storage_type in _STORAGE_TYPES.items()},
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles a state_dict, refusing every global outside :data:`_ALLOWED_GLOBALS`."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__(file)
        self._storage_refs: dict[str, _StorageRef] = {}

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafeWeightFile(
                f"refused global {module}.{name}: a weight file may only name "
                "collections.OrderedDict, torch._utils._rebuild_tensor_v2 and numeric storage types"
            ) from None

    def persistent_load(self, pid: Any) -> _StorageRef:
        # A persistent id is 'storage', type, key, location, numel in a zip file, and the same
        # with view metadata after them in a legacy one.
        if not isinstance(pid, tuple) or len(pid) not in (5, 6) or pid[0] != "storage":
            raise NotAWeightFile(f"unknown persistent id in the pickle: {pid!r:.100}")
        storage_type, key, _location, numel = pid[1:5]
        view = pid[5] if len(pid) == 6 else None
        if not isinstance(storage_type, _StorageType) or not isinstance(key, str) or not _is_int(numel):
            raise NotAWeightFile(f"malformed storage reference in the pickle: {pid!r:.100}")
        if numel < 0:
            raise NotAWeightFile(f"storage {key} has a negative size")
        known = self._storage_refs.get(key)
        if known is None:
            known = self._storage_refs[key] = _StorageRef(key, storage_type, numel)
        elif known.storage_type != storage_type or known.numel != numel:
            raise NotAWeightFile(f"storage {key} is named with two different types or sizes")
        if view is None:
            return known
        # Old torch (< 1.0 era) saved views of storages as (view_key, offset, view_size).
        if not (isinstance(view, tuple) and len(view) == 3 and _is_int(view[1]) and _is_int(view[2])):
            raise NotAWeightFile(f"malformed storage view in the pickle: {view!r:.100}")
        _view_key, offset, view_size = view
        if offset < 0 or view_size < 0 or offset + view_size > numel:
            raise NotAWeightFile(f"a view of storage {key} lies outside it")
        return _StorageRef(key, storage_type, view_size, offset)

    @property
    def storage_refs(self) -> dict[str, _StorageRef]:
        """Every storage the pickle named, by key."""
        return self._storage_refs


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a ``torch.save``-d state_dict as ``{key: numpy array}``, never running its code.

    Accepts the zip format and the legacy format. Arrays are contiguous, native-endian, of
    the tensors' own dtype (bfloat16 is widened to float32, which numpy lacks), and
    independent of each other even where tensors shared a storage.

    Raises:
        UnsafeWeightFile: the pickle names a global outside the short allow-list (the
            message names it); nothing it names has been imported or called.
        NotAWeightFile: the file is not a state_dict saved by torch (other bytes, a
            truncated or damaged file, a pickle of something other than a dict of tensors).
    """
    try:
        with open(path, "rb") as file:
            if file.read(4) == ZIP_MAGIC:
                file.seek(0)
                return _read_zip(file)
            file.seek(0)
            return _read_legacy(file)
    except ColorizeError as error:  # raised by the checks here: name the file in the detail
        raise type(error)(f"{os.fspath(path)}: {error}") from None
    except OSError as error:
        if isinstance(error, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise
        raise NotAWeightFile(f"{os.fspath(path)}: cannot be read as a weight file: {error}") from error
    except Exception as error:  # whatever a damaged or foreign file makes the parsers raise
        raise NotAWeightFile(
            f"{os.fspath(path)}: not a PyTorch state_dict file ({type(error).__name__}: {error})"
        ) from error


def _read_zip(file: IO[bytes]) -> dict[str, np.ndarray]:
    """The zip format: one pickle, storages as separate entries."""
    with zipfile.ZipFile(file) as archive:
        names = set(archive.namelist())
        pickles = [name for name in names if name.endswith("/data.pkl") and name.count("/") == 1]
        if len(pickles) != 1:
            raise NotAWeightFile("a zip file without exactly one <name>/data.pkl is not a torch save")
        prefix = pickles[0][: -len("data.pkl")]
        byteorder = "little"
        if prefix + "byteorder" in names:
            byteorder = archive.read(prefix + "byteorder").decode("ascii", "replace").strip()
            if byteorder not in ("little", "big"):
                raise NotAWeightFile(f"unknown byte order {byteorder!r:.20}")
        unpickler = _RestrictedUnpickler(io.BytesIO(archive.read(pickles[0])))
        state = unpickler.load()
        _check_is_state_dict(state)

        def load_storage(ref: _StorageRef) -> np.ndarray:
            entry = f"{prefix}data/{ref.key}"
            if entry not in names:
                raise NotAWeightFile(f"storage {ref.key} is missing from the zip")
            dtype = _with_byteorder(ref.storage_type.dtype, byteorder)
            # Checked before reading, so a forged entry cannot make us inflate gigabytes.
            if archive.getinfo(entry).file_size != ref.numel * dtype.itemsize:
                raise NotAWeightFile(f"storage {ref.key} does not hold its {ref.numel} elements")
            return np.frombuffer(archive.read(entry), dtype=dtype)

        return _resolve(state, unpickler.storage_refs, load_storage)


def _read_legacy(file: IO[bytes]) -> dict[str, np.ndarray]:
    """The legacy format: pickles in sequence, then the storages' bytes in key order."""
    if _RestrictedUnpickler(file).load() != LEGACY_MAGIC_NUMBER:
        raise NotAWeightFile("no torch magic number: not a PyTorch weight file")
    if _RestrictedUnpickler(file).load() != LEGACY_PROTOCOL_VERSION:
        raise NotAWeightFile("unsupported torch legacy protocol version")
    sys_info = _RestrictedUnpickler(file).load()
    if not isinstance(sys_info, dict):
        raise NotAWeightFile("malformed torch system info")
    byteorder: Literal["little", "big"] = "little" if sys_info.get("little_endian", True) else "big"
    unpickler = _RestrictedUnpickler(file)
    state = unpickler.load()
    _check_is_state_dict(state)
    keys = _RestrictedUnpickler(file).load()
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise NotAWeightFile("malformed list of storage keys")
    refs = unpickler.storage_refs
    if set(keys) != set(refs):
        raise NotAWeightFile("the list of storages does not match the tensors")
    storages: dict[str, np.ndarray] = {}
    for key in keys:  # storages follow in this order, each: int64 element count, then data
        dtype = _with_byteorder(refs[key].storage_type.dtype, byteorder)
        header = file.read(8)
        if len(header) != 8:
            raise NotAWeightFile(f"the file ends before storage {key}")
        count = int.from_bytes(header, byteorder, signed=True)
        if count != refs[key].numel:
            raise NotAWeightFile(f"storage {key} holds {count} elements, the pickle says {refs[key].numel}")
        data = file.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise NotAWeightFile(f"the file ends inside storage {key}")
        storages[key] = np.frombuffer(data, dtype=dtype)
    return _resolve(state, refs, lambda ref: storages[ref.key])


def _with_byteorder(dtype: np.dtype, byteorder: str) -> np.dtype:
    if dtype.itemsize == 1:
        return dtype
    return dtype.newbyteorder("<" if byteorder == "little" else ">")


def _check_is_state_dict(state: Any) -> None:
    """A state_dict is a dict (usually an OrderedDict) from str to tensors, nothing else."""
    if not isinstance(state, dict):
        raise NotAWeightFile(f"the file holds a {type(state).__name__}, not a state_dict")
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, _TensorRef):
            raise NotAWeightFile(f"entry {key!r:.60} of the file is not a tensor: not a plain state_dict")


def _resolve(
    state: Mapping[str, _TensorRef],
    refs: Mapping[str, _StorageRef],
    load_storage: Callable[[_StorageRef], np.ndarray],
) -> dict[str, np.ndarray]:
    """Turn each recorded tensor into a contiguous native-endian array of its own."""
    cache: dict[str, np.ndarray] = {}
    result: dict[str, np.ndarray] = {}
    for key, tensor in state.items():
        base = tensor.storage
        if base.key not in cache:
            cache[base.key] = load_storage(refs[base.key])
        storage = cache[base.key][base.element_offset : base.element_offset + base.numel]
        result[key] = _view(storage, tensor, key)
    return result


def _view(storage: np.ndarray, tensor: _TensorRef, key: str) -> np.ndarray:
    """``storage.as_strided(size, stride, offset)``, bounds-checked, as a contiguous copy.

    The check matters: ``as_strided`` reads whatever memory the numbers point at, and the
    numbers come from the file.
    """
    size, stride, offset = tensor.size, tensor.stride, tensor.offset
    if any(length < 0 for length in size) or any(step < 0 for step in stride) or offset < 0:
        raise NotAWeightFile(f"tensor {key} has a negative size, stride or offset")
    if 0 in size:
        result = np.empty(size, dtype=storage.dtype)
    else:
        last = offset + sum((length - 1) * step for length, step in zip(size, stride, strict=False))
        if last >= len(storage):
            raise NotAWeightFile(f"tensor {key} reaches past the end of its storage")
        itemsize = storage.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            storage[offset:], shape=size, strides=[step * itemsize for step in stride], writeable=False
        )
        result = np.array(view, dtype=storage.dtype.newbyteorder("="), order="C", copy=True)
    if tensor.storage.storage_type.name == "BFloat16Storage":
        return _bfloat16_to_float32(result)
    return result
