"""A fine-tuned Hugging Face sequence classifier behind the estimator interface of a model bundle.

Prediction treats every task alike: ``classes_`` plus ``predict_proba`` over normalized texts.
:class:`TransformerTextClassifier` gives a transformer that interface and pickles itself as the
files that ``save_pretrained`` writes, so ``ModelBundle`` stores it in ``<task>.joblib`` like any
scikit-learn pipeline. torch and transformers are imported only when such a model is built or
loaded: the base install never needs them. Checkpoints are read with ``local_files_only``: no
call to the Hugging Face hub is ever made at run time.
"""
from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

INSTALL_HINT = "the transformer backend needs the [transformers] extra: pip install -e '.[transformers]'"


def require_torch():
    """(torch, transformers), or an ImportError that says how to install them."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc})") from None
    return torch, transformers


def cuda_available() -> bool:
    torch, _ = require_torch()
    return bool(torch.cuda.is_available())


def resolve_device(device: str) -> str:
    """"auto" → CUDA when present, else CPU; "cpu" and "cuda" as given."""
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    return device


@contextlib.contextmanager
def quiet_transformers():
    """Hide the progress bars and the load report that transformers prints on every load and save."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def load_checkpoint(path: str | Path, **model_kwargs):
    """(model, tokenizer) from a local checkpoint directory; ``model_kwargs`` go to ``from_pretrained``
    (e.g. ``num_labels`` to put a fresh classification head on a pretrained encoder)."""
    _, transformers = require_torch()
    with quiet_transformers():
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            str(path), local_files_only=True, **model_kwargs)
    return model, tokenizer


class TransformerTextClassifier:
    """``classes_`` and ``predict_proba(texts)`` for a sequence classification model.

    Texts are scored in batches of ``batch_size``, cut at ``max_length`` tokens, on ``device``
    ("auto": CUDA when present, else CPU; resolved at the first prediction, so a model fine-tuned
    on a GPU predicts on a CPU-only server).
    """

    def __init__(self, model, tokenizer, max_length: int = 128, batch_size: int = 32, device: str = "auto",
                 train_loss: Sequence[float] = ()):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size
        self.device = device
        self.train_loss_ = list(train_loss)  # mean loss per fine-tuning epoch
        id2label = model.config.id2label
        self.classes_ = np.array([id2label[i] for i in range(model.config.num_labels)], dtype=object)
        self._placed_on: str | None = None

    def _place(self) -> str:
        target = resolve_device(self.device)
        if target != self._placed_on:
            self.model.to(target)
            self._placed_on = target
        return target

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        torch, _ = require_torch()
        texts = list(texts)
        proba = np.zeros((len(texts), len(self.classes_)))
        device = self._place()
        # Batches of similar length waste less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start:start + self.batch_size]
                batch = self.tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt").to(device)
                logits = self.model(**batch).logits
                proba[rows] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        return proba

    def __getstate__(self) -> dict:
        with tempfile.TemporaryDirectory() as tmp, quiet_transformers():
            self.model.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)
            files = {p.relative_to(tmp).as_posix(): p.read_bytes() for p in Path(tmp).rglob("*") if p.is_file()}
        return {"files": files, "max_length": self.max_length, "batch_size": self.batch_size,
                "device": self.device, "train_loss": self.train_loss_}

    def __setstate__(self, state: dict) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            for name, data in state["files"].items():
                target = Path(tmp) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            model, tokenizer = load_checkpoint(tmp)
        self.__init__(model, tokenizer, state["max_length"], state["batch_size"], state["device"],
                      state["train_loss"])
