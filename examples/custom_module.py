"""A custom Module: a residual MLP block with its own Parameter, buffer and forward.

``python examples/custom_module.py``: builds the model, shows its parameter names (the same
keys PyTorch would use), trains it a few steps and checks that a state-dict round trip
reproduces its outputs.
"""

from __future__ import annotations

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn, optim


class ResidualBlock(nn.Module):
    """x + W2 relu(W1 norm(x)), with a learned per-feature scale on the residual branch."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.scale = nn.Parameter(cr.full((dim,), 0.1))
        self.register_buffer("steps", cr.zeros((), dtype=cr.int64))

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        if self.training:
            with cr.no_grad():
                self.steps += 1
        normed = (x - x.mean(dim=-1, keepdim=True)) / (x.std(dim=-1, keepdim=True) + 1e-5)
        return x + self.scale * self.fc2(F.relu(self.fc1(normed)))


class Classifier(nn.Module):
    def __init__(self, dim: int = 64, classes: int = 10) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([ResidualBlock(dim, 2 * dim) for _ in range(2)])
        self.head = nn.Linear(dim, classes)

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def main() -> None:
    cr.manual_seed(0)
    model = Classifier()
    print(model)
    print([name for name, _ in model.named_parameters()][:5], "...")
    x, y = cr.randn(64, 64), cr.randint(0, 10, (64,))
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(20):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    steps = model.blocks[0].steps.item()
    print(f"loss after 20 steps {loss.item():.4f}; block 0 ran {steps} times")
    copy = Classifier()
    copy.load_state_dict(model.state_dict())
    model.eval()
    copy.eval()
    assert cr.equal(model(x), copy(x))
    print("state-dict round trip reproduces the outputs")


if __name__ == "__main__":
    main()
