"""``liveshop recommend evaluate`` end to end: MovieLens-100k as shipped in the recbole
wheel (read where pip put it, never copied here) and a simulated shop log with repeats."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liveshop.cli import app
from liveshop.recommend.simulate import ShopLogOptions, write_shop_log


def movielens_100k() -> Path:
    spec = importlib.util.find_spec("recbole")
    assert spec is not None, "recbole (a test extra) is not installed"
    assert spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations)))
    return path / "dataset_example" / "ml-100k" / "ml-100k.inter"


def run_evaluate(*arguments: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["recommend", "evaluate", *arguments, "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert isinstance(report, dict)
    return report


def test_movielens_hybrid_matches_tuned_als_with_wider_lists(tmp_path: Path) -> None:
    out = tmp_path / "recommendations.csv"
    report = run_evaluate(str(movielens_100k()), "--recommendations", str(out))
    assert report["split"] == {
        "users": 943,
        "items": 1682,
        "evaluated_users": 943,
        "train_rows": 79_619,
        "held_out_rows": 20_381,
    }
    models = report["models"]
    assert isinstance(models, dict)
    assert set(models) == {
        "implicit_als", "popularity", "buy_again", "item_cf", "content",
        "popularity_decay", "hybrid",
    }  # fmt: skip
    hybrid, als = models["hybrid"], models["implicit_als"]
    assert hybrid["ndcg@10"] >= als["ndcg@10"]
    assert hybrid["coverage"] > als["coverage"]
    assert hybrid["diversity"] > als["diversity"]
    assert hybrid["fit_seconds"] < 10
    assert als["params"]["weighting"] in {"none", "bm25", "tfidf"}
    assert models["popularity"]["ndcg@10"] < als["ndcg@10"]
    best = report["best_model"]
    assert best == max(models, key=lambda name: models[name]["ndcg@10"])
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["user_id", "rank", "item_id"]
    assert len(rows) == 943 * 10
    assert [row["rank"] for row in rows[:10]] == [str(rank) for rank in range(1, 11)]


@pytest.mark.parametrize("seed", [3, 4])
def test_shop_log_hybrid_beats_buy_again(tmp_path: Path, seed: int) -> None:
    purchases, _items = write_shop_log(
        ShopLogOptions(users=1200, items=900, purchases_per_user=18, seed=seed),
        tmp_path / "shop.csv",
    )
    report = run_evaluate(str(purchases), "--model", "hybrid")
    models = report["models"]
    assert isinstance(models, dict)
    assert set(models) == {"implicit_als", "popularity", "buy_again", "hybrid"}
    assert models["buy_again"]["ndcg@10"] > models["popularity"]["ndcg@10"]
    assert models["hybrid"]["ndcg@10"] > models["buy_again"]["ndcg@10"]
    assert models["hybrid"]["exclude_seen"] is False  # re-buys are what people do here


def test_map_and_k_and_a_clear_error(tmp_path: Path) -> None:
    log = tmp_path / "orders.csv"
    rows = ["customer,sku,when"] + [
        f"c{user},s{(user * 7 + step) % 40},{step}" for user in range(60) for step in range(8)
    ]
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = run_evaluate(
        str(log), "--map", "user_id=customer", "--map", "item_id=sku",
        "--map", "timestamp=when", "--k", "5", "--model", "item_cf",
    )  # fmt: skip
    assert report["k"] == 5
    models = report["models"]
    assert isinstance(models, dict)
    assert "precision@5" in models["item_cf"]
    result = CliRunner().invoke(app, ["recommend", "evaluate", str(log)])
    assert result.exit_code == 2
    assert "no column user_id" in result.output
