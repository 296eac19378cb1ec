"""Which colorization models exist and how to build them.

Every model, the authors' and the project's own, is described the same way; nothing else
in the code base special-cases a model by name.
"""

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from colorize.networks.compact import CompactColorizer
from colorize.networks.zhang import ECCV16, SIGGRAPH17

BUNDLED_WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    description: str
    build: callable
    weight_file: str
    sha256: str
    url: str = ""
    takes_hints: bool = False
    input_size: int = 256
    # Weights that ship inside the repository need no download.
    bundled: bool = False
    licence: str = ""


MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="compact",
            title="Compact (built in)",
            description="The project's own small, fast colorizer; takes colour hints. Ships with the site.",
            build=partial(CompactColorizer, widths=(24, 48, 96, 192)),
            weight_file="compact-v1.pt",
            sha256="",
            takes_hints=True,
            bundled=True,
            licence="MIT (weights trained by this project)",
        ),
        ModelSpec(
            name="eccv16",
            title="ECCV16 (Zhang et al.)",
            description="Colorful Image Colorization, ECCV 2016: vivid automatic colours. No hints.",
            build=ECCV16,
            weight_file="colorization_release_v2-9b330a0b.pth",
            sha256="9b330a0bae53f4ded77b1e23defbf78beaa09c10ebc4c4999e8e4f4a160b93f9",
            url="https://colorizers.s3.us-east-2.amazonaws.com/colorization_release_v2-9b330a0b.pth",
            licence="BSD-2-Clause",
        ),
        ModelSpec(
            name="siggraph17",
            title="SIGGRAPH17 (Zhang et al.)",
            description="Real-Time User-Guided Image Colorization, SIGGRAPH 2017: automatic or guided by hints.",
            build=SIGGRAPH17,
            weight_file="siggraph17-df00044c.pth",
            sha256="df00044c0a4d7c3edcecf6f75437ce346a66e7a42612d9b968e1a7e17dbc6f66",
            url="https://colorizers.s3.us-east-2.amazonaws.com/siggraph17-df00044c.pth",
            takes_hints=True,
            licence="BSD-2-Clause",
        ),
    )
}


class UnknownModel(KeyError):
    def __str__(self):
        return f"unknown model {self.args[0]!r}; known models: {', '.join(MODELS)}"


def get_spec(name):
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownModel(name) from None
