"""Synthetic stochastic problems: a candidate is text that encodes parameters.

A candidate has one text parameter, ``"params"``, holding lines ``x0 = 0.500``; the
numbers live in [0, 1] (values outside are clipped, a line that is missing or unreadable
makes the candidate fail). Its **true quality** ``q(x)`` in [0, 1] is known exactly. One
evaluation on one instance returns a noisy score and one feedback line::

    score = q(x) + noise * (sqrt(1/2) * z_instance + sqrt(1/2) * z_fresh)

``z_instance`` is fixed per (candidate text, instance): the minibatch effect, the same each
time that pair is evaluated; ``z_fresh`` is drawn anew each time: the flaky-system effect.
Both have unit variance: standard normal, or on a heavy-tailed landscape Student-t with
``Landscape.tail_dof`` degrees of freedom scaled to unit variance (rare large outliers).
``noise`` is relative to the score range [0, 1]. The feedback line carries a hint about
one coordinate ("x2 too low"); the hint follows the sign of the true gradient and is
flipped with probability ``noise``, so noisier problems also give noisier advice.

Landscapes (``LANDSCAPES``):

- ``smooth``: one basin, ``q = 1 - |x - c| / sqrt(d)``; every local step toward ``c``
  helps, the gradient never lies.
- ``deceptive``: a trap peak of height 0.65 next to the seed, whose slope the hints and
  local steps follow, and far away a rugged main peak of height 1 (a cone with cosine
  ripples: many local optima). Leaving the trap's basin first makes things worse.
- ``heavy_tailed``: eight dimensions, one basin with mild cosine ripples (0.9 cone + 0.1
  ripples), and Student-t noise with 3 degrees of freedom: the same standard deviation as
  the Gaussian landscapes, but a minibatch now and then holds an outlier several
  deviations wide, which crowns a lucky child or buries a good one.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from polca.optimizer.contracts import Candidate, Evaluation

PARAM_NAME = "params"
NOISE_LEVELS = (0.0, 0.1, 0.3)
_LINE = re.compile(r"^\s*x(\d+)\s*=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$", re.M)


@dataclass(frozen=True)
class Landscape:
    """A true-quality function over [0, 1]^dims and the seed point optimizers start from."""

    name: str
    dims: int
    seed_point: tuple[float, ...]
    quality: Callable[[np.ndarray], float]
    tail_dof: float | None = None  # Student-t noise with this many dof; None: Gaussian

    def unit_noise(self, rng: np.random.Generator) -> float:
        """One draw of zero-mean, unit-variance noise of this landscape's shape."""
        if self.tail_dof is None:
            return float(rng.standard_normal())
        return float(rng.standard_t(self.tail_dof)) / math.sqrt(self.tail_dof / (self.tail_dof - 2))


def _cone(x: np.ndarray, centre: np.ndarray, radius: float) -> float:
    return max(0.0, 1.0 - float(np.linalg.norm(x - centre)) / radius)


_SMOOTH_CENTRE = np.array([0.8, 0.3, 0.7, 0.2])
_TRAP_CENTRE = np.array([0.2, 0.75, 0.25, 0.7])
_MAIN_CENTRE = np.array([0.75, 0.2, 0.8, 0.25])
_HEAVY_CENTRE = np.array([0.8, 0.3, 0.7, 0.2, 0.6, 0.35, 0.75, 0.25])


def _smooth_quality(x: np.ndarray) -> float:
    return _cone(x, _SMOOTH_CENTRE, math.sqrt(len(x)))


def _deceptive_quality(x: np.ndarray) -> float:
    trap = 0.65 * _cone(x, _TRAP_CENTRE, 0.6)
    ripples = float(np.mean(np.cos(5.0 * math.pi * (x - _MAIN_CENTRE)) ** 2))
    main = 0.8 * _cone(x, _MAIN_CENTRE, math.sqrt(len(x))) + 0.2 * ripples
    return max(trap, main)


def _heavy_tailed_quality(x: np.ndarray) -> float:
    ripples = float(np.mean(np.cos(3.0 * math.pi * (x - _HEAVY_CENTRE)) ** 2))
    return 0.9 * _cone(x, _HEAVY_CENTRE, math.sqrt(len(x))) + 0.1 * ripples


LANDSCAPES: Mapping[str, Landscape] = {
    "smooth": Landscape("smooth", 4, (0.1, 0.9, 0.1, 0.9), _smooth_quality),
    "deceptive": Landscape("deceptive", 4, (0.1, 0.8, 0.1, 0.8), _deceptive_quality),
    "heavy_tailed": Landscape("heavy_tailed", 8, (0.1, 0.9) * 4, _heavy_tailed_quality, tail_dof=3.0),
}


def get_landscape(name: str) -> Landscape:
    """The landscape called ``name``; raises ValueError listing the choices otherwise."""
    if name not in LANDSCAPES:
        raise ValueError(f"unknown landscape {name!r}; choose one of {sorted(LANDSCAPES)}")
    return LANDSCAPES[name]


def format_params(x: Sequence[float]) -> str:
    """The candidate text for the point ``x``: one ``xI = V`` line per coordinate."""
    return "\n".join(f"x{i} = {float(v):.3f}" for i, v in enumerate(x))


def parse_params(text: str, dims: int) -> np.ndarray:
    """The point a candidate text encodes, clipped to [0, 1].

    Raises ValueError naming the missing coordinates when a line is absent or unreadable.
    """
    found = {int(i): float(v) for i, v in _LINE.findall(text) if int(i) < dims}
    missing = [i for i in range(dims) if i not in found]
    if missing:
        names = ", ".join(f"x{i}" for i in missing)
        raise ValueError(f"no readable line for {names}; write each as 'xI = 0.123'")
    return np.clip(np.array([found[i] for i in range(dims)]), 0.0, 1.0)


def numeric_gradient(quality: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Central-difference gradient of ``quality`` at ``x`` (step 1e-3, kept inside [0, 1])."""
    grad = np.zeros_like(x)
    for i in range(len(x)):
        lo, hi = x.copy(), x.copy()
        lo[i], hi[i] = max(0.0, x[i] - 1e-3), min(1.0, x[i] + 1e-3)
        grad[i] = (quality(hi) - quality(lo)) / max(hi[i] - lo[i], 1e-12)
    return grad


def _unit_hash(*parts: object) -> int:
    blob = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "little")


@dataclass(frozen=True)
class ProblemSpec:
    """Everything that defines one problem instance; plain data, so it crosses processes."""

    landscape: str
    noise: float
    seed: int
    num_instances: int = 20

    def __post_init__(self) -> None:
        get_landscape(self.landscape)
        if not 0.0 <= self.noise <= 1.0:
            raise ValueError(f"noise must be in [0, 1] (relative to the score range), got {self.noise}")
        if self.num_instances < 1:
            raise ValueError(f"num_instances must be >= 1, got {self.num_instances}")


class SyntheticProblem:
    """A noisy problem over a known landscape; a polca ``Domain``.

    ``fresh_seed`` seeds the per-evaluation noise; the per-(candidate, instance) noise
    depends only on ``spec.seed``, the candidate text and the instance.
    """

    def __init__(self, spec: ProblemSpec, fresh_seed: int | None = None) -> None:
        self.spec = spec
        self.landscape = get_landscape(spec.landscape)
        self._rng = np.random.default_rng([spec.seed, 7 if fresh_seed is None else fresh_seed])

    def seed(self) -> Candidate:
        return Candidate(params={PARAM_NAME: format_params(self.landscape.seed_point)})

    def instances(self) -> list[str]:
        return [f"i{k}" for k in range(self.spec.num_instances)]

    def sample_batch(self, size: int) -> list[str]:
        """``size`` distinct instances drawn with the problem's fresh-noise generator."""
        return [str(i) for i in self._rng.choice(self.instances(), size=size, replace=False)]

    def describe(self) -> str:
        dims = self.landscape.dims
        return (
            f"Choose {dims} numbers x0..x{dims - 1} in [0, 1], one 'xI = V' line each, "
            "to maximise a hidden noisy score; each evaluation's feedback hints at one "
            "coordinate to move."
        )

    def true_quality(self, params: Mapping[str, str] | str) -> float:
        """Exact quality of a candidate (its params mapping or its text); 0 when unreadable."""
        text = params if isinstance(params, str) else params.get(PARAM_NAME, "")
        try:
            x = parse_params(text, self.landscape.dims)
        except ValueError:
            return 0.0
        return self.landscape.quality(x)

    def evaluate(self, candidate: Candidate, batch: Sequence[str]) -> list[Evaluation]:
        return [self.evaluate_text(candidate.params.get(PARAM_NAME, ""), i) for i in batch]

    def evaluate_text(self, text: str, instance: str) -> Evaluation:
        """One noisy evaluation of a candidate text on one instance."""
        try:
            x = parse_params(text, self.landscape.dims)
        except ValueError as err:
            return Evaluation(0.0, f"{instance}: failed: {err}", status="failed", instance_id=instance)
        q = self.landscape.quality(x)
        unit_noise = self.landscape.unit_noise
        z_inst = unit_noise(np.random.default_rng(_unit_hash(self.spec.seed, text, instance)))
        z_fresh = unit_noise(self._rng)
        score = q + self.spec.noise * math.sqrt(0.5) * (z_inst + z_fresh)
        hint = self._hint(x, text, instance)
        feedback = f"{instance}: score {score:.3f}; hint: {hint}"
        return Evaluation(score, feedback, metrics={"score": score}, instance_id=instance)

    def _hint(self, x: np.ndarray, text: str, instance: str) -> str:
        rng = np.random.default_rng(_unit_hash("hint", self.spec.seed, text, instance))
        coord = int(rng.integers(self.landscape.dims))
        slope = numeric_gradient(self.landscape.quality, x)[coord]
        if abs(slope) < 1e-6:
            return f"x{coord} looks fine"
        up = slope > 0
        if rng.random() < self.spec.noise:
            up = not up
        return f"x{coord} too {'low' if up else 'high'}"
