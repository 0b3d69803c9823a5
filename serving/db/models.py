"""Tables: API keys, stored predictions, desk feedback, and the model every worker should serve."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    # The first characters of the key, so that people can tell their keys apart in `aduan keys list`.
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class Prediction(Base):
    __tablename__ = "predictions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    model_version: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)  # masked with classifier.pii.mask_pii
    outputs: Mapped[dict] = mapped_column(JSON)
    needs_review: Mapped[bool] = mapped_column(Boolean)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"), nullable=True)
    # The complaint's form fields, masked like the text: a reviewed complaint is a training example,
    # and the agency router is scored with its location and known topic. None before migration 0002.
    alamat: Mapped[str | None] = mapped_column(Text, nullable=True)
    kecamatan: Mapped[str | None] = mapped_column(Text, nullable=True)
    kelurahan: Mapped[str | None] = mapped_column(Text, nullable=True)
    known_topic: Mapped[str | None] = mapped_column(Text, nullable=True)


FORM_FIELDS = ("alamat", "kecamatan", "kelurahan", "known_topic")


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prediction_id: Mapped[str] = mapped_column(ForeignKey("predictions.id"), index=True)
    field: Mapped[str] = mapped_column(String(20))
    # "correct": correct_value replaces the prediction; "accept": the desk confirmed the predicted value
    kind: Mapped[str] = mapped_column(String(10), default="correct", server_default="correct")
    predicted_value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    correct_value: Mapped[str] = mapped_column(String(200))  # a label of the served model unless new_label
    # The desk proposed a label the served model does not know; `aduan retrain --allow-new-labels` uses it
    new_label: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # masked
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"), nullable=True)


class ServedModel(Base):
    """One row: the model the workers serve. ``generation`` grows on every reload."""

    __tablename__ = "served_model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
