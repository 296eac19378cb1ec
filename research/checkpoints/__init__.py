"""Where the PyTorch checkpoints of the models this project trains live (the shipped ONNX
graphs are made from them, colorize/weights/)."""

from pathlib import Path

from colorize.registry import ModelSpec

CHECKPOINTS_DIR = Path(__file__).resolve().parent


def checkpoint_path(spec: ModelSpec) -> Path:
    """The training checkpoint of a bundled model (its registry source_file)."""
    return CHECKPOINTS_DIR / spec.source_file
