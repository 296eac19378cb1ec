"""Files the engine writes and recognises: put in place atomically (a present file is a whole
one) and known by their sha256."""

import hashlib
import os
import tempfile
from pathlib import Path

CHUNK = 1024 * 1024


def sha256_of(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


_sha256_memo: dict[tuple[str, int, int, int, int], str] = {}


def graph_sha256(path: Path) -> str | None:
    """A graph file's sha256, hashed once per process for each version of the file (a model's
    choice of graph checks it on every job); None when the file is absent."""
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    if key not in _sha256_memo:
        _sha256_memo[key] = sha256_of(path)
    return _sha256_memo[key]


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it and a rename."""
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as tmp:
        partial = Path(tmp.name)
    try:
        partial.write_bytes(data)
        partial.chmod(0o644)  # a temporary file is private; what the engine writes is not
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
