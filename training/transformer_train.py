"""Fine-tune a local Hugging Face checkpoint into the sequence classifier of one task.

A plain PyTorch loop: AdamW (no weight decay on biases and LayerNorm), linear warm-up then linear
decay, gradient clipping, a fixed seed for weights and shuffling. The checkpoint is read with
``local_files_only``: training never calls the Hugging Face hub.
"""
from __future__ import annotations

import logging
import math
from collections import Counter

from classifier.transformer_model import (TransformerTextClassifier, cuda_available, load_checkpoint, require_torch,
                                          resolve_device)
from training.config import ConfigError, ModelConfig

WARMUP_FRACTION = 0.1  # of all optimizer steps; the usual BERT fine-tuning recipe
MAX_GRAD_NORM = 1.0

log = logging.getLogger(__name__)


def _optimizer(model, cfg: ModelConfig):
    import torch

    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
    return torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=cfg.learning_rate)


def fine_tune(texts: list[str], labels: list[str], cfg: ModelConfig, seed: int) -> TransformerTextClassifier:
    """Fine-tune ``cfg.path`` on normalized ``texts`` and their ``labels``."""
    try:
        torch, transformers = require_torch()
    except ImportError as exc:
        raise ConfigError(f'model.kind = "transformer": {exc}') from None
    if cfg.device == "cuda" and not cuda_available():
        raise ConfigError('model.device = "cuda" but CUDA is not available here; use "auto" or "cpu"')
    device = resolve_device(cfg.device)
    transformers.set_seed(seed)

    classes = sorted(set(labels))
    label_ids = {label: i for i, label in enumerate(classes)}
    model, tokenizer = load_checkpoint(cfg.path, num_labels=len(classes), id2label=dict(enumerate(classes)),
                                       label2id=label_ids)
    positions = getattr(model.config, "max_position_embeddings", None)
    if positions and cfg.max_length > positions:
        raise ConfigError(f"model.max_length: {cfg.max_length} exceeds the {positions} positions of {cfg.path}")
    model.to(device).train()
    targets = torch.tensor([label_ids[label] for label in labels])
    weight = None
    if cfg.class_weight == "balanced":
        counts = Counter(labels)
        weight = torch.tensor([len(labels) / (len(classes) * counts[c]) for c in classes], device=device)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)

    steps_per_epoch = math.ceil(len(texts) / cfg.batch_size)
    total_steps = cfg.epochs * steps_per_epoch
    optimizer = _optimizer(model, cfg)
    scheduler = transformers.get_linear_schedule_with_warmup(optimizer, int(WARMUP_FRACTION * total_steps),
                                                             total_steps)
    shuffle = torch.Generator().manual_seed(seed)
    log.info(f"fine-tuning {cfg.path} on {device}: {len(texts)} texts, {len(classes)} labels, "
             f"{cfg.epochs} epoch(s) of {steps_per_epoch} step(s)")
    epoch_losses = []
    for epoch in range(cfg.epochs):
        total = 0.0
        for rows in torch.randperm(len(texts), generator=shuffle).split(cfg.batch_size):
            batch = tokenizer([texts[i] for i in rows.tolist()], padding=True, truncation=True,
                              max_length=cfg.max_length, return_tensors="pt").to(device)
            loss = loss_fn(model(**batch).logits, targets[rows].to(device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            total += loss.item() * len(rows)
        epoch_losses.append(total / len(texts))
        log.info(f"  epoch {epoch + 1}/{cfg.epochs}: loss {epoch_losses[-1]:.4f}")
    return TransformerTextClassifier(model, tokenizer, cfg.max_length, cfg.batch_size, "auto", epoch_losses)
