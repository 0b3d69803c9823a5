"""Confidence levels and per-field automation modes, as desks know them from ticketing products.

- ``recommend``: show the top-3 only; a person always chooses.
- ``suggest``: pre-fill the best value when its confidence reaches ``suggest_at``.
- ``auto``: apply the best value without review when its confidence reaches ``auto_at``
  (below that, behave like ``suggest``).
The thresholds are chosen per deployment from the coverage-vs-accuracy table of report.md.
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

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode: expected one of {MODES}, got {self.mode!r}")
        if not 0.0 <= self.suggest_at <= self.auto_at <= 1.0:
            raise ValueError(f"expected 0 <= suggest_at <= auto_at <= 1, got {self.suggest_at} and {self.auto_at}")

    def action(self, confidence: float) -> str:
        if self.mode == "auto" and confidence >= self.auto_at:
            return "auto"
        if self.mode in ("auto", "suggest") and confidence >= self.suggest_at:
            return "suggest"
        return "recommend"


@dataclass(frozen=True)
class ConfidencePolicy:
    """``high`` at or above ``high_at``, ``low`` below ``low_below``, else ``medium``.

    A ``low`` field, or a text too short to judge, sets ``needs_review``.
    """

    high_at: float = 0.8
    low_below: float = 0.5
    automation: Mapping[str, FieldAutomation] = field(
        default_factory=lambda: {name: FieldAutomation() for name in FIELDS})

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

    def action(self, field_name: str, confidence: float) -> str:
        return self.automation.get(field_name, FieldAutomation()).action(confidence)

    @classmethod
    def from_dict(cls, data: Mapping | None) -> "ConfidencePolicy":
        data = dict(data or {})
        unknown = sorted(set(data) - {"high_at", "low_below", "automation"})
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
                "automation": {k: asdict(v) for k, v in self.automation.items()}}
