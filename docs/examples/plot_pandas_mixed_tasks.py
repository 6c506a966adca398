"""
=====================================================
pandas data: mixed auxiliary types and missing labels
=====================================================

Real auxiliary targets come as DataFrame columns of different kinds, with
gaps: a numeric measurement known for some rows, a grade stored as a
category, a yes/no outcome as a nullable boolean. Pass them as they are: the
column names become task names, each column's type is inferred (see
:ref:`type-inference`), and missing labels (``NaN``, ``None``, ``pd.NA``)
are left out of that task's loss (see :ref:`missing-labels`).

Here, a loan data set in miniature: the main target is whether a loan
defaults; the auxiliary targets, known only after the loan was granted, are
the interest rate it got (regression), its grade (three classes) and whether
a payment was ever late (binary); some of them are missing.
"""

import warnings

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks

n_samples, max_iter = 3000, 40
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("HYDASKLEARN_DOCS_FAST") == "1":  # CI: less data, fewer epochs
    n_samples, max_iter = 800, 10
warnings.filterwarnings("ignore", category=ConvergenceWarning)
# sphinx_gallery_end_ignore

X_num, y_raw, _ = make_auxiliary_tasks(
    n_samples=n_samples, n_features=8, n_informative=4,
    aux_relations=("related", "related", "noise"),
    aux_types=("regression", "multiclass", "binary"),
    missing_rate=0.3, main_noise=1.5, random_state=0)

# %%
# Features: numbers and a categorical column.
rng = np.random.RandomState(0)
X = pd.DataFrame(X_num[:, :7], columns=[f"x{j}" for j in range(7)])
X["purpose"] = pd.Categorical(rng.choice(["car", "home", "debt"], size=n_samples))

# %%
# Targets: a DataFrame, main target first. Each column gets its natural
# pandas type, missing labels included.
y = pd.DataFrame({
    "default": np.where(y_raw[:, 0] == 1, "default", "repaid"),
    "interest_rate": 12 + 3 * y_raw[:, 1],                  # float, NaN where missing
    "grade": pd.Categorical.from_codes(                      # category, NaN where missing
        np.nan_to_num(y_raw[:, 2], nan=-1).astype(int), categories=["A", "B", "C"]),
    "late_payment": pd.array(                                # nullable boolean, <NA>
        [None if np.isnan(v) else bool(v) for v in y_raw[:, 3]], dtype="boolean"),
})
print(y.head())
print(y.isna().mean().round(2))

# %%
# Fit a pipeline: one-hot encode the category, scale the numbers, learn all
# four tasks.
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y["default"])
model = make_pipeline(
    make_column_transformer(
        (OneHotEncoder(), ["purpose"]),
        remainder=StandardScaler()),
    HydaMultiTaskClassifier(hidden_layer_sizes=(64,), max_iter=max_iter, random_state=0),
)
model.fit(X_train, y_train)
network = model[-1]
print(network.task_names_)
print(network.task_types_)

# %%
# The main task is scored as usual; ``predict_tasks`` gives every task in its
# own labels and units.
auc = roc_auc_score(y_test["default"] == "repaid", model.predict_proba(X_test)[:, 1])
print(f"main task: classes {network.classes_.tolist()}, test ROC AUC {auc:.3f}")
predicted = pd.DataFrame(network.predict_tasks(model[:-1].transform(X_test)),
                         index=X_test.index)
print(predicted.head())

# %%
# The auxiliary predictions can be checked against the labels that exist:
known = y_test["interest_rate"].notna()
error = (predicted.loc[known, "interest_rate"] - y_test.loc[known, "interest_rate"]).abs()
print(f"interest rate: mean absolute error {error.mean():.2f} on {known.sum()} loans")
grades = y_test["grade"].notna()
accuracy = (predicted.loc[grades, "grade"] == y_test.loc[grades, "grade"]).mean()
print(f"grade: accuracy {accuracy:.2f} on {grades.sum()} loans")

# %%
# The weight each task received, on average over training, next to its loss
# in the first and the last epoch. HydaLearn gives a task weight 0 on every
# mini-batch where a step along its gradient would not lower the main task's
# loss; such a task's head is not updated on that batch either, so a task
# that is switched off early may stay switched off and predict poorly.
epochs = network.training_history("epoch")
summary = pd.DataFrame({
    "mean weight": network.training_history().filter(like="weight_").mean().to_numpy(),
    "first-epoch loss": epochs.filter(like="loss_").iloc[0].to_numpy(),
    "last-epoch loss": epochs.filter(like="loss_").iloc[-1].to_numpy(),
}, index=network.task_names_)
print(summary.round(3))
