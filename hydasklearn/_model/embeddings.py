"""Learned embeddings of categorical columns, the first layer of the trunk.

The network receives one float tensor per batch (the fast slicing path of
:mod:`hydasklearn._backend.batches` cuts a single tensor): the numeric
columns first, then one column per categorical feature holding its integer
code. :class:`CategoricalEmbedding` passes the numeric columns on as they
are and replaces every code by a learned vector, so that the trunk's first
linear layer sees ``n_numeric + sum(widths)`` inputs.

Codes of a column with ``n`` categories seen in fit: ``0 .. n - 1`` the
categories, ``n`` a category not seen in fit (:data:`UNKNOWN`), ``n + 1`` a
missing value (:data:`MISSING`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

#: Offsets of the two extra rows of every table, after the ``n`` known categories.
UNKNOWN, MISSING = 0, 1
#: Rows of a table beyond its known categories: unknown and missing.
N_EXTRA_ROWS = 2
#: Largest embedding width.
MAX_WIDTH = 50


def embedding_width(n_categories):
    """Width of a column's embedding: ``min(50, ceil(1.6 * n_categories ** 0.56))``.

    The rule of thumb of fastai's ``emb_sz_rule`` (Howard and Gugger,
    2020), fitted by its authors to the widths that worked best on many
    tabular data sets, capped at 50 as in the entity-embedding practice that
    Guo and Berkhahn (2016) started: 2 categories get 3 dimensions, 10 get
    6, 50 get 15, 1000 would get 77 and get 50.

    References: J. Howard, S. Gugger, "Fastai: A Layered API for Deep
    Learning", Information 11(2):108, 2020 (``fastai.tabular.model.emb_sz_rule``);
    C. Guo, F. Berkhahn, "Entity Embeddings of Categorical Variables",
    arXiv:1604.06737, 2016.

    Parameters
    ----------
    n_categories : int
        Categories seen in fit (at least 1).

    Returns
    -------
    int

    Examples
    --------
    >>> [embedding_width(n) for n in (1, 2, 3, 10, 50, 1000)]
    [2, 3, 3, 6, 15, 50]
    """
    return min(MAX_WIDTH, math.ceil(1.6 * max(1, n_categories) ** 0.56))


class CategoricalEmbedding(nn.Module):
    """Numeric columns as they are, then every categorical code as a learned vector.

    Parameters
    ----------
    n_numeric : int
        Numeric columns, the first ones of the input.
    cardinalities : sequence of int
        Categories seen in fit of every categorical column (the last
        ``len(cardinalities)`` columns of the input, holding codes).
    generator : torch.Generator or None, default=None
        Source of the initial vectors (see :meth:`reset_parameters`); None
        draws from torch's global random state.

    Attributes
    ----------
    tables : nn.ModuleList of nn.Embedding
        One table per categorical column, ``cardinality + 2`` rows (the
        categories, then :data:`UNKNOWN` and :data:`MISSING`) of
        :func:`embedding_width` columns.
    out_features : int
        Width of the output: ``n_numeric + sum(widths)``.
    """

    def __init__(self, n_numeric, cardinalities, generator=None):
        super().__init__()
        self.n_numeric = int(n_numeric)
        self.cardinalities = tuple(int(n) for n in cardinalities)
        widths = [embedding_width(n) for n in self.cardinalities]
        self.tables = nn.ModuleList(_uninitialized_embedding(n + N_EXTRA_ROWS, width)
                                    for n, width in zip(self.cardinalities, widths))
        self.out_features = self.n_numeric + sum(widths)
        self.reset_parameters(generator)

    @torch.no_grad()
    def reset_parameters(self, generator=None):
        """Known categories ~ N(0, 1) (as ``nn.Embedding``), unknown and missing rows 0.

        An unseen category thus enters the trunk as a neutral zero vector,
        which training on the fit's rows never moves (its row gets no
        gradient, and weight decay keeps a zero at zero); the missing row
        learns wherever the training data hold missing values. A start
        near zero for all rows (fastai's ``std=0.01``) scored a little but
        consistently lower on Lending Club (``benchmarks/_categorical_suite.py``).
        """
        for table, n in zip(self.tables, self.cardinalities):
            nn.init.normal_(table.weight[:n], generator=generator)
            table.weight[n:] = 0

    def forward(self, X):
        return embed(X, self.n_numeric, [table.weight for table in self.tables])

    def evaluate(self, X, parameters, prefix=""):
        """:meth:`forward` with the given parameters (see ``evaluation.evaluate``)."""
        return embed(X, self.n_numeric, [parameters[f"{prefix}tables.{j}.weight"]
                                         for j in range(len(self.tables))])

    def extra_repr(self):
        return f"n_numeric={self.n_numeric}, cardinalities={self.cardinalities}"


def embed(X, n_numeric, weights):
    """``X``'s numeric columns, then each code column looked up in its table.

    Parameters
    ----------
    X : Tensor of shape (n_samples, n_numeric + len(weights))
    n_numeric : int
    weights : list of Tensor
        Each table's weight, of shape (rows, width).

    Returns
    -------
    Tensor of shape (n_samples, n_numeric + sum of widths)
        In ``X``'s floating-point type.
    """
    codes = X[:, n_numeric:].long()
    looked_up = [F.embedding(codes[:, j], weight).to(X.dtype)
                 for j, weight in enumerate(weights)]
    return torch.cat([X[:, :n_numeric], *looked_up], dim=-1)


def _uninitialized_embedding(n_rows, width):
    """An uninitialized float32 ``nn.Embedding`` (no draw from the global random state)."""
    return torch.nn.utils.skip_init(nn.Embedding, n_rows, width, dtype=torch.float32)


class EmbeddedTrunk(nn.Module):
    """A user's trunk (see ``custom_trunk.CustomTrunk``) behind the categorical embeddings.

    Parameters
    ----------
    embedding : CategoricalEmbedding
    trunk : nn.Module
        Built for ``embedding.out_features`` inputs.
    """

    def __init__(self, embedding, trunk):
        super().__init__()
        self.embedding = embedding
        self.trunk = trunk

    def forward(self, X):
        return self.trunk(self.embedding(X))

    def __iter__(self):
        """The embedding, then the trunk's layers (for look-ups of layers by type)."""
        inner = self.trunk if hasattr(self.trunk, "__iter__") else [self.trunk]
        return iter([self.embedding, *inner])
