"""Trunks for the ``trunk`` parameter's tests (top level, so that fitted models pickle)."""

import torch
from torch import nn


class ResidualTrunk(nn.Module):
    """A linear layer, then one residual block with LayerNorm: ``h + f(norm(h))``."""

    def __init__(self, n_features, width=16):
        super().__init__()
        self.n_features = n_features
        self.inp = nn.Linear(n_features, width)
        self.norm = nn.LayerNorm(width)
        self.block = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))

    def forward(self, x):
        h = self.inp(x)
        return torch.relu(h + self.block(self.norm(h)))


class DropoutTrunk(nn.Module):
    """Dropout inside a user's trunk."""

    def __init__(self, n_features):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(n_features, 12), nn.ReLU(), nn.Dropout(0.3))

    def forward(self, x):
        return self.layers(x)


class BatchNormTrunk(nn.Module):
    """Batch statistics in training, running statistics in prediction."""

    def __init__(self, n_features):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(n_features, 12), nn.BatchNorm1d(12), nn.ReLU())

    def forward(self, x):
        return self.layers(x)


class NoLinearTrunk(nn.Module):
    """A trunk without any ``nn.Linear`` (a bare parameter matrix)."""

    def __init__(self, n_features):
        super().__init__()
        self.weight = nn.Parameter(torch.full((n_features, 4), 0.1))

    def forward(self, x):
        return torch.tanh(x @ self.weight)


class FlatTrunk(nn.Module):
    """Breaks the contract: a 1-D output."""

    def __init__(self, n_features):
        super().__init__()
        self.layer = nn.Linear(n_features, 1)

    def forward(self, x):
        return self.layer(x)[:, 0]


def small_sequential(n_features):
    """A factory function: ``nn.Sequential`` of a linear layer and GELU."""
    return nn.Sequential(nn.Linear(n_features, 8), nn.GELU())


class FrozenTrunk(nn.Module):
    """A frozen encoder (as a pretrained one would be) under a trainable layer."""

    def __init__(self, n_features):
        super().__init__()
        self.encoder = nn.Linear(n_features, 8)
        self.encoder.requires_grad_(False)
        self.top = nn.Linear(8, 6)

    def forward(self, x):
        return torch.relu(self.top(torch.tanh(self.encoder(x))))


class FrozenTopTrunk(nn.Module):
    """A trainable layer under a frozen last linear layer (a frozen pretrained top)."""

    def __init__(self, n_features):
        super().__init__()
        self.bottom = nn.Linear(n_features, 8)
        self.top = nn.Linear(8, 6)
        self.top.requires_grad_(False)

    def forward(self, x):
        return torch.relu(self.top(torch.relu(self.bottom(x))))
