"""int8 graphs that check themselves against float32 before anything runs them.

Made on the machine that will run them, at install (``fetch_weights``), from the float32 graph:
ONNX Runtime's static quantisation (QDQ, weights per channel, activations calibrated on the
black-and-white photos in ``int8_photos/calibration``). Then the self-check: the int8 graph
and the float32 graph colorize the photos in ``int8_photos/check`` (never used for
calibration), with and without hints where the model takes them, through the whole pipeline;
the final pictures are compared, and both graphs are timed on this CPU. The numbers are kept
beside the graph (a :class:`Report`, JSON) and judged by :data:`THRESHOLDS` whenever a model is
chosen (:func:`choose`): an int8 graph is run only where every check photo is within them, it
is faster on this CPU, and it was made from the float32 graph installed now, on this CPU, by
this ONNX Runtime. Anything else runs float32, with the reason in words.
"""

import contextlib
import functools
import importlib.metadata
import io
import json
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from colorize import colour, cpu
from colorize.files import sha256_of, write_atomically
from colorize.hints import Hint
from colorize.registry import ModelSpec

if TYPE_CHECKING:
    from colorize.runtime import Model

logger = logging.getLogger(__name__)

PHOTOS_DIR = Path(__file__).resolve().parent / "int8_photos"
REPORT_VERSION = 2
FLOAT32 = "float32"
INT8 = "int8"


@dataclass(frozen=True)
class Thresholds:
    """What an int8 graph must meet on EVERY check photo to be used. Chosen for what a person
    sees, not for what int8 reaches: a mean shift below CIE's just-noticeable difference
    (2.3 ab), no patch of 1% of the picture moved by a visible amount, the picture as close to
    float32's as a visually lossless JPEG is to its original; and a gain worth having."""

    mean_ab: float = 2.0  # mean ab distance between the two pictures' pixels, Lab units
    p99_ab: float = 10.0  # the 99th percentile of it: no blotch of 1% of the photo
    psnr_db: float = 40.0  # PSNR of the 8-bit sRGB pictures
    speedup: float = 1.2  # the network's float32 time over its int8 time, on this CPU


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class PhotoDifference:
    """How far the int8 picture of one check photo (with ``hints`` hints) is from float32's."""

    photo: str
    hints: int
    mean_ab: float
    p99_ab: float
    psnr_db: float

    def problems(self, thresholds: Thresholds) -> list[str]:
        limits = (
            ("mean", self.mean_ab, thresholds.mean_ab, "ab", self.mean_ab > thresholds.mean_ab),
            ("99th percentile", self.p99_ab, thresholds.p99_ab, "ab", self.p99_ab > thresholds.p99_ab),
            ("PSNR", self.psnr_db, thresholds.psnr_db, "dB", self.psnr_db < thresholds.psnr_db),
        )
        where = f"{self.photo}{f' with {self.hints} hints' if self.hints else ''}"
        return [
            f"{where}: {label} {value:.2f} {unit} (limit {limit:g})" for label, value, limit, unit, bad in limits if bad
        ]


@dataclass(frozen=True)
class Report:
    """An int8 graph's self-check: what it was made from, where, and how it did."""

    model: str
    float_sha256: str  # of the float32 graph it was made from and compared with
    int8_sha256: str  # of the int8 graph it checked (a passing report vouches for that file only)
    cpu: str
    onnxruntime: str
    made_at: str
    calibration_photos: list[str]
    float_ms: float  # the network alone at its input size, median of alternating runs
    int8_ms: float
    photos: list[PhotoDifference] = field(default_factory=list)
    version: int = REPORT_VERSION

    @property
    def speedup(self) -> float:
        return self.float_ms / self.int8_ms if self.int8_ms > 0 else 0.0

    def worst(self) -> dict[str, float]:
        """The worst check photo's number of each kind."""
        return {
            "mean_ab": max((p.mean_ab for p in self.photos), default=0.0),
            "p99_ab": max((p.p99_ab for p in self.photos), default=0.0),
            "psnr_db": min((p.psnr_db for p in self.photos), default=0.0),
        }

    def problems(self, thresholds: Thresholds | None = None) -> list[str]:
        """Why this graph must not be used (by ``thresholds``, else :data:`THRESHOLDS` as they
        are now: a report is judged again whenever it is read); empty when it passed."""
        thresholds = thresholds or THRESHOLDS
        problems = [problem for photo in self.photos for problem in photo.problems(thresholds)]
        if not self.photos:
            problems.append("no check photo was compared")
        if self.speedup < thresholds.speedup:
            problems.append(
                f"not faster on this CPU: {self.float_ms:.0f} ms float32, {self.int8_ms:.0f} ms int8 "
                f"({self.speedup:.2f}x, needs {thresholds.speedup:g}x)"
            )
        return problems

    def summary(self) -> str:
        """One line: the worst photo's numbers and the speed-up."""
        worst = self.worst()
        return (
            f"worst check photo: mean {worst['mean_ab']:.2f} ab, 99th percentile {worst['p99_ab']:.2f} ab, "
            f"{worst['psnr_db']:.1f} dB over {len(self.photos)} comparison{'' if len(self.photos) == 1 else 's'}; "
            f"network {self.float_ms:.0f} ms float32, {self.int8_ms:.0f} ms int8 ({self.speedup:.2f}x)"
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "Report":
        """The report in ``text``; ValueError or TypeError when it is not one (another version,
        a field missing, or a value of the wrong type: a report is judged later, and a string
        where a number belongs would fail there, issue #34)."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError("a report is a JSON object")
        if data.get("version") != REPORT_VERSION:
            raise ValueError(f"report version {data.get('version')}, not {REPORT_VERSION}")
        photos = data.get("photos", [])
        if not isinstance(photos, list) or not all(isinstance(photo, dict) for photo in photos):
            raise TypeError("photos: not a list of objects")
        data["photos"] = [_checked(PhotoDifference, photo) for photo in photos]
        return _checked(cls, data)


_NUMBER, _TEXT = (int, float), (str,)
_FIELD_TYPES: dict[type, dict[str, tuple[type, ...]]] = {
    PhotoDifference: {"photo": _TEXT, "hints": (int,), "mean_ab": _NUMBER, "p99_ab": _NUMBER, "psnr_db": _NUMBER},
    Report: {
        "model": _TEXT,
        "float_sha256": _TEXT,
        "int8_sha256": _TEXT,
        "cpu": _TEXT,
        "onnxruntime": _TEXT,
        "made_at": _TEXT,
        "calibration_photos": (list,),
        "float_ms": _NUMBER,
        "int8_ms": _NUMBER,
        "photos": (list,),
        "version": (int,),
    },
}


def _checked[T](kind: type[T], data: dict[str, Any]) -> T:
    """``kind(**data)`` once every value has its field's type (bool is not a number here)."""
    types = _FIELD_TYPES[kind]
    for name, value in data.items():
        expected = types.get(name)
        if expected is None:
            raise TypeError(f"{kind.__name__}: unknown field {name!r}")
        if isinstance(value, bool) or not isinstance(value, expected):
            raise TypeError(f"{kind.__name__}.{name}: {type(value).__name__}, not {expected[0].__name__}")
    if kind is Report and not all(isinstance(name, str) for name in data.get("calibration_photos", [])):
        raise TypeError("Report.calibration_photos: not a list of names")
    return kind(**data)


@dataclass(frozen=True)
class Choice:
    """Which graph runs a model here, and why in words."""

    precision: str
    reason: str
    report: Report | None = None


@functools.cache
def onnxruntime_version() -> str:
    """The version of the ONNX Runtime this process loaded (read once: the module stays the
    one loaded even when a newer one is installed meanwhile)."""
    try:
        return importlib.metadata.version("onnxruntime")
    except importlib.metadata.PackageNotFoundError:  # another build of it (onnxruntime-gpu...)
        return "unknown"


def read_report(path: Path) -> Report | None:
    """The report at ``path``; None when there is none, and None with a warning when the file
    is not a report this version can judge (the model then runs float32, "no report")."""
    try:
        text = path.read_text()
    except OSError:
        return None
    try:
        return Report.from_json(text)
    except (ValueError, TypeError, KeyError) as error:
        logger.warning("int8 report %s is not usable (%s); treated as no report", path, error)
        return None


def choose(float_sha256: str | None, int8_sha256: str | None, report_path: Path, *, allowed: bool = True) -> Choice:
    """float32 or int8 for a model whose float32 and int8 graphs have these sha256 (None: not
    there) and whose self-check report is (or would be) at ``report_path``."""
    if not allowed:
        return Choice(FLOAT32, "int8 is switched off (COLORIZE_INT8)")
    report = read_report(report_path)
    if report is None:
        return Choice(FLOAT32, "no int8 self-check here yet (fetch_weights makes one)")
    stale_because = stale(report, float_sha256)
    if stale_because:
        return Choice(
            FLOAT32, f"its int8 graph was made {stale_because}; run fetch_weights {report.model} again", report
        )
    problems = report.problems()
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        return Choice(FLOAT32, f"its int8 graph failed the self-check: {shown}", report)
    if int8_sha256 != report.int8_sha256:
        missing = "is missing" if int8_sha256 is None else "is not the one checked"
        return Choice(FLOAT32, f"its int8 graph {missing}; run fetch_weights {report.model} --force again", report)
    return Choice(INT8, "its int8 graph passed the self-check: " + report.summary(), report)


def stale(report: Report, float_sha256: str | None) -> str | None:
    """How the report's circumstances differ from this machine's now (its float32 graph, CPU
    and ONNX Runtime), or None."""
    if float_sha256 is None:
        return "for a float32 graph that is not installed"
    if report.float_sha256 != float_sha256:
        return "from another float32 graph"
    if report.cpu != cpu.description():
        return f"on another CPU ({report.cpu})"
    if report.onnxruntime != onnxruntime_version():
        return f"with ONNX Runtime {report.onnxruntime}, not {onnxruntime_version()}"
    return None


# --- making and checking an int8 graph ---------------------------------------------------------
Feeds = dict[str, npt.NDArray[np.float32]]


@dataclass(frozen=True)
class Photos:
    """The photos int8 graphs are calibrated and checked on: two sets, never overlapping."""

    calibration: list[Path]
    check: list[Path]

    @classmethod
    def shipped(cls) -> "Photos":
        return cls(sorted((PHOTOS_DIR / "calibration").glob("*.jpg")), sorted((PHOTOS_DIR / "check").glob("*.jpg")))


def _open(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("L")


def _random_hints(rng: np.random.Generator, size: tuple[int, int], count: int) -> list[Hint]:
    return [
        Hint(
            x=float(rng.uniform(0, size[0] - 1)),
            y=float(rng.uniform(0, size[1] - 1)),
            color="#{:02x}{:02x}{:02x}".format(*rng.integers(0, 256, 3)),
        )
        for _ in range(count)
    ]


def check_hints(size: tuple[int, int]) -> list[Hint]:
    """The hints a hint model is also checked with: a blue and a red click."""
    width, height = size
    return [Hint(x=width / 3, y=height / 2, color="#3060c0"), Hint(x=2 * width / 3, y=height / 3, color="#c04020")]


def calibration_feeds(spec: ModelSpec, photos: Sequence[Path]) -> Iterator[Feeds]:
    """The network's inputs for each calibration photo, as the pipeline makes them, without
    hints and (for a hint model) with random ones. At the main input size only: a model's
    smaller views are block means of the same lightness (activations in the same ranges)."""
    from colorize import pipeline

    rng = np.random.default_rng(0)
    for path in photos:
        image = _open(path)
        l_norm = pipeline.network_input(image, spec.input_size)
        for hints in [[], _random_hints(rng, image.size, 8)] if spec.takes_hints else [[]]:
            yield pipeline.network_feeds(spec, l_norm, hints, image.size)


def _first_convolution(graph: Path) -> list[str]:
    import onnx

    nodes = onnx.load(str(graph), load_external_data=False).graph.node
    return [next(node.name for node in nodes if node.op_type == "Conv")]


def quantize(spec: ModelSpec, float_graph: Path, target: Path, calibration: Sequence[Path]) -> None:
    """Write ``spec``'s int8 graph to ``target``: convolutions with int8 weights (per output
    channel) and uint8 activations whose ranges are their extremes over ``calibration``. The
    first convolution stays float32: it reads the photo and the hints as they are, and costs
    little."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    feeds = list(calibration_feeds(spec, calibration))
    if len(feeds) % 2 == 0:
        # The calibrator folds in every two runs and then (ONNX Runtime 1.31) refuses to end
        # with none left over: an odd count, by repeating a run (its extremes change nothing).
        feeds.append(feeds[0])

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.feeds = iter(feeds)

        def get_next(self) -> Feeds | None:
            return next(self.feeds, None)

    with _quiet():
        quantize_static(
            str(float_graph),
            str(target),
            Reader(),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["Conv", "ConvTranspose"],
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=_first_convolution(float_graph),
            calibrate_method=CalibrationMethod.MinMax,
            # Ranges folded in every two runs: a worker quantising SIGGRAPH17 with every run's
            # activations kept (the percentile method) peaked at 6.9 GB.
            extra_options={"CalibMaxIntermediateOutputs": 2},
        )


class _NotAdvice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing" not in record.getMessage()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """ONNX Runtime's quantiser prints its progress and advises pre-processing on the root
    logger (our graphs' batch norms follow a ReLU: there is nothing to fold); the install's
    output says what matters. Process-wide (stdout, the root logger): for the single-threaded
    install commands that make int8 graphs, never for a worker's jobs."""
    advice = _NotAdvice()
    logging.getLogger().addFilter(advice)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.getLogger().removeFilter(advice)


def picture_difference(first: Image.Image, second: Image.Image) -> tuple[float, float, float]:
    """(mean ab distance, its 99th percentile, PSNR in dB) between two sRGB pictures."""
    a = np.asarray(first.convert("RGB"), dtype=np.float64) / 255.0
    b = np.asarray(second.convert("RGB"), dtype=np.float64) / 255.0
    lab_a, lab_b = colour.rgb_to_lab(a), colour.rgb_to_lab(b)
    distance = np.hypot(lab_a[..., 1] - lab_b[..., 1], lab_a[..., 2] - lab_b[..., 2])
    mse = float(np.mean((np.round(a * 255) - np.round(b * 255)) ** 2))
    psnr = 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)
    return float(distance.mean()), float(np.percentile(distance, 99)), float(psnr)


def compare(float_model: "Model", int8_model: "Model", check: Sequence[Path]) -> list[PhotoDifference]:
    """Each check photo colorized by both graphs through the whole pipeline (default
    vividness), and again with :func:`check_hints` for a hint model."""
    from colorize import pipeline

    differences = []
    for path in check:
        image = _open(path)
        for hints in ([], check_hints(image.size)) if float_model.spec.takes_hints else ([],):
            mean_ab, p99_ab, psnr = picture_difference(
                pipeline.colorize(image, float_model, hints), pipeline.colorize(image, int8_model, hints)
            )
            differences.append(
                PhotoDifference(path.stem, len(hints), round(mean_ab, 3), round(p99_ab, 3), round(psnr, 2))
            )
    return differences


def time_networks(float_model: "Model", int8_model: "Model", photo: Path, runs: int = 7) -> tuple[float, float]:
    """Median milliseconds of each graph on one photo's input, alternating, after a warm-up."""
    from colorize import pipeline, runtime

    spec = float_model.spec
    feeds = pipeline.network_feeds(spec, pipeline.network_input(_open(photo), spec.input_size), [], (256, 256))
    times: dict[str, list[float]] = {FLOAT32: [], INT8: []}
    models = {FLOAT32: float_model, INT8: int8_model}
    for model in models.values():
        runtime.run(model, feeds)
    for _ in range(runs):
        for precision, model in models.items():
            started = time.perf_counter()
            runtime.run(model, feeds)
            times[precision].append(time.perf_counter() - started)
    return statistics.median(times[FLOAT32]) * 1000, statistics.median(times[INT8]) * 1000


def make(
    float_model: "Model",
    float_sha256: str,
    int8_path: Path,
    report_path: Path,
    photos: Photos | None = None,
) -> Report:
    """Quantise ``float_model``'s graph (whose file has ``float_sha256``), check it and keep
    the report (and, when it passed, the graph) at these paths, each put in place atomically.
    Returns the report."""
    photos = photos or Photos.shipped()
    if not photos.calibration or not photos.check:
        raise ValueError("int8 needs calibration photos and check photos")
    with tempfile.TemporaryDirectory(dir=int8_path.parent, prefix=".int8-") as scratch:
        candidate = Path(scratch) / int8_path.name
        quantize(float_model.spec, float_model.path, candidate, photos.calibration)
        int8_model = replace(float_model, path=candidate, precision=INT8)
        float_ms, int8_ms = time_networks(float_model, int8_model, photos.check[0])
        report = Report(
            model=float_model.name,
            float_sha256=float_sha256,
            cpu=cpu.description(),
            onnxruntime=onnxruntime_version(),
            made_at=datetime.now(UTC).isoformat(timespec="seconds"),
            calibration_photos=[path.stem for path in photos.calibration],
            float_ms=round(float_ms, 1),
            int8_ms=round(int8_ms, 1),
            photos=compare(float_model, int8_model, photos.check),
            int8_sha256=sha256_of(candidate),
        )
        # In this order, a graph that failed is never next to a report that passed, and a
        # job that picked the earlier graph finds its report changed before its file goes.
        if report.problems():
            write_atomically(report_path, report.to_json().encode())
            int8_path.unlink(missing_ok=True)
        else:
            candidate.chmod(0o644)
            os.replace(candidate, int8_path)
            write_atomically(report_path, report.to_json().encode())
    return report
