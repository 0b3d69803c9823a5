"""Confidence levels and per-field automation modes, as desks know them from ticketing products.

- ``recommend``: show the top-3 only; a person always chooses.
- ``suggest``: pre-fill the best value when its confidence reaches ``suggest_at``.
- ``auto``: apply the best value without review when its confidence reaches ``auto_at``
  (below that, behave like ``suggest``).

``needs_review`` means "a field the desk acts on is likely wrong". A field in ``recommend`` mode is
chosen by a person anyway and never sets it. A field with a ``precision`` target has its ``auto_at``
(and, for the agency, ``auto_at_known_topic``) measured by `aduan train` on a held-out split that is not
the reported one: the lowest confidence at which its answers reached that precision. Below it, the
field needs review; at or above it, ``auto`` mode applies it. Other fields need review when their
confidence level is ``low``. The measured policy is stored in model.json (``confidence``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Mapping

MODES = ("recommend", "suggest", "auto")
FIELDS = ("topic", "agency", "urgency")


@dataclass(frozen=True)
class FieldAutomation:
    mode: str = "suggest"
    suggest_at: float = 0.5
    auto_at: float = 0.9
    # Target precision of the answers at or above auto_at: `aduan train` then measures auto_at (and
    # auto_at_known_topic) on a held-out split instead of taking the configured value.
    precision: float | None = None
    auto_at_known_topic: float | None = None  # agency routed with a known topic; None: auto_at

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode: expected one of {MODES}, got {self.mode!r}")
        if not 0.0 <= self.suggest_at <= self.auto_at <= 1.0:
            raise ValueError(f"expected 0 <= suggest_at <= auto_at <= 1, got {self.suggest_at} and {self.auto_at}")
        if self.precision is not None and not 0.0 < self.precision < 1.0:
            raise ValueError(f"precision: expected a number in (0, 1), got {self.precision}")
        if self.auto_at_known_topic is not None and not 0.0 <= self.auto_at_known_topic <= 1.0:
            raise ValueError(f"auto_at_known_topic: expected a number in [0, 1], got {self.auto_at_known_topic}")

    def threshold(self, known_topic: bool = False) -> float:
        return self.auto_at_known_topic if known_topic and self.auto_at_known_topic is not None else self.auto_at

    def action(self, confidence: float, known_topic: bool = False) -> str:
        if self.mode == "auto" and confidence >= self.threshold(known_topic):
            return "auto"
        if self.mode in ("auto", "suggest") and confidence >= min(self.suggest_at, self.threshold(known_topic)):
            return "suggest"
        return "recommend"

    def needs_review(self, confidence: float, level: str, known_topic: bool = False) -> bool:
        """Whether this field's answer is likely wrong enough for a person to check it."""
        if self.mode == "recommend":
            return False
        if self.precision is not None:
            return confidence < self.threshold(known_topic)
        return level == "low"


@dataclass(frozen=True)
class ConfidencePolicy:
    """``high`` at or above ``high_at``, ``low`` below ``low_below``, else ``medium``.

    A ``low`` field, or a text too short to judge, sets ``needs_review``.
    """

    high_at: float = 0.8
    low_below: float = 0.5
    automation: Mapping[str, FieldAutomation] = field(
        default_factory=lambda: {name: FieldAutomation() for name in FIELDS})
    calibrated_on: str = ""  # where `aduan train` measured the precision-based thresholds

    def __post_init__(self):
        if not 0.0 <= self.low_below <= self.high_at <= 1.0:
            raise ValueError(f"expected 0 <= low_below <= high_at <= 1, got {self.low_below} and {self.high_at}")
        unknown = sorted(set(self.automation) - set(FIELDS))
        if unknown:
            raise ValueError(f"automation: unknown field(s) {unknown}; known: {list(FIELDS)}")

    def level(self, confidence: float) -> str:
        if confidence >= self.high_at:
            return "high"
        return "low" if confidence < self.low_below else "medium"

    def automation_of(self, field_name: str) -> FieldAutomation:
        return self.automation.get(field_name, FieldAutomation())

    def action(self, field_name: str, confidence: float, known_topic: bool = False) -> str:
        return self.automation_of(field_name).action(confidence, known_topic)

    def needs_review(self, field_name: str, confidence: float, known_topic: bool = False) -> bool:
        return self.automation_of(field_name).needs_review(confidence, self.level(confidence), known_topic)

    @classmethod
    def from_dict(cls, data: Mapping | None) -> "ConfidencePolicy":
        data = dict(data or {})
        unknown = sorted(set(data) - {"high_at", "low_below", "automation", "calibrated_on"})
        if unknown:
            raise ValueError(f"confidence: unknown key(s) {unknown}")
        automation = {name: FieldAutomation() for name in FIELDS}
        for name, value in (data.pop("automation", None) or {}).items():
            try:
                automation[name] = FieldAutomation(**value)
            except TypeError as exc:
                raise ValueError(f"confidence.automation.{name}: {exc}") from None
            except ValueError as exc:
                raise ValueError(f"confidence.automation.{name}.{exc}") from None
        return cls(automation=automation, **data)

    def to_dict(self) -> dict:
        return {"high_at": self.high_at, "low_below": self.low_below,
                "automation": {k: asdict(v) for k, v in self.automation.items()}, "calibrated_on": self.calibrated_on}
