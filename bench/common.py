"""Shared by the benchmark's parent and worker processes (no Django needed)."""

WEIGHT_FILES = {
    "eccv16": "colorization_release_v2-9b330a0b.pth",
    "siggraph17": "siggraph17-df00044c.pth",
}


def weight_file(model):
    return WEIGHT_FILES[model]
