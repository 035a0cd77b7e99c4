"""Recommendation benchmark: training time and serving latency on a generated
catalogue, beside ``implicit`` on the same interactions.

Generates a seeded log (users and products drawn with skewed popularity, a share
of them purchases), then measures in one run:
- ours: item-to-item neighbours (implicit's cosine, top 20) and the per-user
  top-100 candidates of the serving hybrid (ALS + neighbours + buy again +
  popularity), i.e. what ``liveshop recommend train`` does after reading the store;
- implicit: ALS with the same factors, then its own ``recommend`` for every user
  (top 100), and its cosine ItemItemRecommender;
- serving: ``recommend_products`` (the API's service function) against a real
  SQLite database holding the catalogue and viewers who allowed personalisation,
  p50/p99 over many calls for the home feed and a product page's "more like this";
- serving over HTTP: ``liveshop serve`` answering ``/api/recommendations/products``
  (home signed in and anonymous, a product page) and ``/rooms``, beside ``/healthz``,
  with the server's CPU per request;
and prints JSON. The machine may be shared: CPU seconds are reported beside wall time.
The report so far is also written to standard error after each stage, so a run cut
short at a large size still says what it measured.

    python benchmarks/recommend.py                       # 100k users, 20k products, 5M
    python benchmarks/recommend.py --users 1000000 --items 100000 --interactions 50000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.nearest_neighbours import CosineRecommender
from sqlalchemy import insert
from threadpoolctl import threadpool_limits

from liveshop.accounts import service as accounts
from liveshop.accounts.models import User
from liveshop.catalog.models import ListingStatus, Product, Shop
from liveshop.core.db import get_engine, unit_of_work
from liveshop.core.migrations import upgrade_database
from liveshop.events.recorder import pseudonymous_id
from liveshop.live.models import Room, RoomStatus
from liveshop.privacy.consents import POLICY_VERSIONS, Purpose
from liveshop.privacy.models import Consent
from liveshop.recommend import model_store
from liveshop.recommend.model_store import ModelArtifact
from liveshop.recommend.service import Recommendations, recommend_products
from liveshop.recommend.sessions import Action
from liveshop.recommend.training import NEIGHBOURS, fit_candidates, fit_neighbours

SECRET = "benchmark-secret-key-0123456789abcdef"
SHOPS = 2_000
CATEGORIES = 200
VIEWERS = 1_000  # real accounts (with consent) whose requests are timed
PURCHASE_SHARE = 0.1
LIVE_ROOMS = 40  # hosted by the first shops' owners
SETTLE_SECONDS = 60.0  # the server's start-up work, waited for before the first request
QUIET_MS_PER_SECOND = 50.0


def so_far(report: dict[str, Any]) -> None:
    print(json.dumps(report), file=sys.stderr, flush=True)


def timed(function: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def generate(
    users: int, items: int, interactions: int, seed: int
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(views and more, purchases): skewed users and products, duplicates summed."""
    rng = np.random.default_rng(seed)
    rows = np.minimum(users - 1, (users * rng.random(interactions) ** 1.5)).astype(np.int32)
    columns = np.minimum(items - 1, (items * rng.random(interactions) ** 2.5)).astype(np.int32)
    weights = np.where(rng.random(interactions) < PURCHASE_SHARE, 8.0, 1.0).astype(np.float32)
    history = sp.csr_matrix((weights, (rows, columns)), shape=(users, items), dtype=np.float32)
    history.sum_duplicates()
    bought = sp.csr_matrix(
        (np.where(weights > 1, weights, 0), (rows, columns)),
        shape=(users, items),
        dtype=np.float32,
    )
    bought.sum_duplicates()
    bought.eliminate_zeros()
    return history, bought


def ours(history: sp.csr_matrix, bought: sp.csr_matrix) -> tuple[ModelArtifact, dict[str, float]]:
    popularity = np.asarray(history.sum(axis=0), dtype=np.float64).ravel()
    (neighbours, scores), neighbour_wall, neighbour_cpu = timed(
        lambda: fit_neighbours(history, NEIGHBOURS)
    )
    (candidates, candidate_scores, anchors, parts), wall, cpu = timed(
        lambda: fit_candidates(history, bought, popularity, neighbours, scores)
    )
    artifact = ModelArtifact(
        product_ids=np.arange(1, history.shape[1] + 1, dtype=np.int64),
        neighbours=neighbours,
        neighbour_scores=scores,
        popularity=popularity,
        user_ids=[pseudonymous_id(u + 1, SECRET) for u in range(history.shape[0])],
        candidates=candidates,
        candidate_scores=candidate_scores,
        candidate_anchors=anchors,
    )
    return artifact, {
        "neighbours_seconds": round(neighbour_wall, 2),
        "neighbours_cpu_seconds": round(neighbour_cpu, 2),
        "als_seconds": round(parts["als_seconds"], 2),
        "candidates_seconds": round(parts["candidates_seconds"], 2),
        "total_seconds": round(neighbour_wall + wall, 2),
        "total_cpu_seconds": round(neighbour_cpu + cpu, 2),
    }


def implicit_side(history: sp.csr_matrix) -> dict[str, float]:
    def als() -> AlternatingLeastSquares:
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=64, regularization=0.05, iterations=15, random_state=7
            )
            model.fit(history, show_progress=False)
        return model

    model, fit_wall, fit_cpu = timed(als)
    users = np.arange(history.shape[0])

    def recommend_all() -> None:
        for start in range(0, len(users), 10_000):
            batch = users[start : start + 10_000]
            model.recommend(batch, history[batch], N=100, filter_already_liked_items=False)

    _none, rec_wall, rec_cpu = timed(recommend_all)
    knn = CosineRecommender(K=NEIGHBOURS)
    _none, knn_wall, _knn_cpu = timed(lambda: knn.fit(history, show_progress=False))
    return {
        "als_fit_seconds": round(fit_wall, 2),
        "als_fit_cpu_seconds": round(fit_cpu, 2),
        "als_recommend_top100_all_users_seconds": round(rec_wall, 2),
        "itemitem_cosine_fit_seconds": round(knn_wall, 2),
        "total_seconds": round(fit_wall + rec_wall, 2),
        "total_cpu_seconds": round(fit_cpu + rec_cpu, 2),
    }


def catalogue_database(directory: Path, items: int) -> str:
    url = f"sqlite:///{directory / 'bench.db'}"
    upgrade_database(url)
    engine = get_engine(url)
    with engine.begin() as connection:
        connection.execute(
            insert(User),
            [
                {"id": i, "username": f"viewer{i}", "password_hash": "x", "role": "viewer"}
                for i in range(1, VIEWERS + SHOPS + 1)
            ],
        )
        connection.execute(
            insert(Shop),
            [{"id": s, "owner_id": VIEWERS + s, "name": f"shop {s}"} for s in range(1, SHOPS + 1)],
        )
        connection.execute(
            insert(Product),
            [
                {
                    "id": p,
                    "shop_id": 1 + p % SHOPS,
                    "title": f"product {p}",
                    "category": f"category {p % CATEGORIES}",
                    "brand": f"brand {p % 500}",
                    "listing_status": ListingStatus.PUBLISHED.value,
                }
                for p in range(1, items + 1)
            ],
        )
        purpose = Purpose.PERSONALISED_RECOMMENDATIONS
        connection.execute(
            insert(Consent),
            [
                {"user_id": i, "purpose": purpose.value, "policy_version": POLICY_VERSIONS[purpose]}
                for i in range(1, VIEWERS + 1)
            ],
        )
    return url


def serving(url: str, home: Path, items: int, calls: int) -> dict[str, Any]:
    """The product page's call follows the viewer's view of that product, as the
    recorder notes it: its session (up to 20 products) adds candidates too."""
    engine = Recommendations(home=home, secret_key=SECRET)
    rng = np.random.default_rng(5)
    results: dict[str, Any] = {}
    for label in ("home", "product"):
        latencies, cpu_times = [], []
        with unit_of_work(url, writes=False) as session:
            viewers = [session.get_one(User, int(v)) for v in rng.integers(1, VIEWERS, 200)]
            recommend_products(
                session, engine=engine, viewer=viewers[0], context="home", limit=10
            )  # loads the model
            for call in range(calls):
                viewer, context = viewers[call % len(viewers)], "home"
                if label == "product":
                    product = int(rng.integers(1, items))
                    viewed = Action("view", product, None, time.time())
                    engine.activity.note(engine.viewer_key(viewer), viewed)
                    context = f"product:{product}"
                started, cpu_started = time.perf_counter(), time.process_time()
                answer = recommend_products(
                    session, engine=engine, viewer=viewer, context=context, limit=10
                )
                latencies.append(time.perf_counter() - started)
                cpu_times.append(time.process_time() - cpu_started)
                assert answer.personalised
                assert len(answer.items) == 10
        milliseconds = np.asarray(latencies) * 1000
        results[label] = {
            "calls": calls,
            "p50_ms": round(float(np.percentile(milliseconds, 50)), 3),
            "p99_ms": round(float(np.percentile(milliseconds, 99)), 3),
            "max_ms": round(float(milliseconds.max()), 3),
            # CPU time per call: what the request costs, apart from waiting for a core
            "cpu_p50_ms": round(float(np.percentile(np.asarray(cpu_times) * 1000, 50)), 3),
            "cpu_p99_ms": round(float(np.percentile(np.asarray(cpu_times) * 1000, 99)), 3),
        }
    return results


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(url: str, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``liveshop serve`` on the benchmark's database and model home, one worker."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIVESHOP_")}
    env.update(LIVESHOP_HOME=str(home), LIVESHOP_DATABASE_URL=url, LIVESHOP_SECRET_KEY=SECRET)
    port = free_port()
    with (home / "server.log").open("wb") as server_log:
        server = subprocess.Popen(
            [sys.executable, "-m", "liveshop.cli", "serve", "--port", str(port)],
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return server, base_url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError((home / "server.log").read_text()[-2000:])
        time.sleep(0.2)


def add_rooms(url: str) -> None:
    """Live rooms hosted by shop owners, so that ``/api/recommendations/rooms`` ranks
    something (the product stages read no room)."""
    with get_engine(url).begin() as connection:
        connection.execute(
            insert(Room),
            [
                {
                    "id": r,
                    "host_id": VIEWERS + r,
                    "title": f"room {r}",
                    "status": RoomStatus.LIVE.value,
                    "viewers": r * 7,
                }
                for r in range(1, LIVE_ROOMS + 1)
            ],
        )


def server_cpu_seconds(server: psutil.Process) -> float:
    """The server's user and system time so far, all its threads."""
    times = server.cpu_times()
    return float(times.user + times.system)


def settled_idle_cpu(server: psutil.Process) -> float:
    """The server's CPU per second while nobody asks it anything, once its start-up work
    (the risk engine's state, jieba's dictionary, the first training) is over: one-second
    windows until one is quiet, or ``SETTLE_SECONDS`` have passed."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        started = server_cpu_seconds(server)
        time.sleep(1.0)
        idle_ms = (server_cpu_seconds(server) - started) * 1000
        if idle_ms < QUIET_MS_PER_SECOND or time.monotonic() > deadline:
            return round(idle_ms, 3)


def http_stage(
    client: httpx.Client,
    server: psutil.Process,
    request: Callable[[int], httpx.Request],
    check: Callable[[httpx.Response], None],
    calls: int,
) -> dict[str, Any]:
    """``calls`` timed requests after 50 that warm the model and pools; the server's CPU
    per request is its process time over the timed ones, the steady figure on a machine
    that others load (its idle jobs' share is ``idle_server_cpu_ms_per_second``)."""
    latencies = []
    cpu_started = 0.0
    for call in range(calls + 50):
        if call == 50:
            cpu_started = server_cpu_seconds(server)
        prepared = request(call)
        started = time.perf_counter()
        answer = client.send(prepared)
        elapsed = time.perf_counter() - started
        answer.raise_for_status()
        check(answer)
        if call >= 50:
            latencies.append(elapsed)
    cpu = server_cpu_seconds(server) - cpu_started
    milliseconds = np.asarray(latencies) * 1000
    return {
        "calls": calls,
        "p50_ms": round(float(np.percentile(milliseconds, 50)), 3),
        "p99_ms": round(float(np.percentile(milliseconds, 99)), 3),
        "max_ms": round(float(milliseconds.max()), 3),
        "server_cpu_ms_per_request": round(cpu * 1000 / calls, 3),
    }


def serving_over_http(url: str, home: Path, items: int, calls: int) -> dict[str, Any]:
    """The API as a phone meets it: ``GET /api/recommendations/products`` and
    ``/rooms`` through ``liveshop serve``, one request at a time on a kept-alive
    connection, wall time from the request's first byte to the answer's last (client
    included), beside ``/healthz`` on the same connection: the floor of any request
    here. Signed in as viewers who allowed personalisation, and anonymous."""
    with unit_of_work(url) as session:
        tokens = [
            accounts.issue_token(session, user=session.get_one(User, viewer))
            for viewer in range(1, 201)
        ]
    add_rooms(url)
    server_process, base_url = start_server(url, home)
    server = psutil.Process(server_process.pid)
    rng = np.random.default_rng(9)
    products = "/api/recommendations/products"

    def signed_in(call: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[call % len(tokens)]}"}

    def personal(answer: httpx.Response) -> None:
        assert answer.json()["personalised"]

    def plain(answer: httpx.Response) -> None:
        assert not answer.json()["personalised"]

    results: dict[str, Any] = {"load_average_1m_at_start": round(os.getloadavg()[0], 2)}
    try:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            results["idle_server_cpu_ms_per_second"] = settled_idle_cpu(server)
            stages: dict[str, tuple[Callable[[int], httpx.Request], Callable[..., None]]] = {
                "healthz": (lambda call: client.build_request("GET", "/healthz"), _ok),
                "home": (
                    lambda call: client.build_request(
                        "GET",
                        products,
                        params={"context": "home", "limit": 10},
                        headers=signed_in(call),
                    ),
                    personal,
                ),
                "home_anonymous": (
                    lambda call: client.build_request(
                        "GET", products, params={"context": "home", "limit": 10}
                    ),
                    plain,
                ),
                "product": (
                    lambda call: client.build_request(
                        "GET",
                        products,
                        params={"context": f"product:{rng.integers(1, items)}", "limit": 10},
                        headers=signed_in(call),
                    ),
                    personal,
                ),
                "rooms": (
                    lambda call: client.build_request(
                        "GET",
                        "/api/recommendations/rooms",
                        params={"limit": 10},
                        headers=signed_in(call),
                    ),
                    personal,
                ),
            }
            for label, (request, check) in stages.items():
                results[label] = http_stage(client, server, request, check, calls)
    finally:
        server_process.terminate()
        server_process.wait(timeout=30)
    return results


def _ok(_answer: httpx.Response) -> None:
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--interactions", type=int, default=5_000_000)
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-implicit", action="store_true")
    options = parser.parse_args()
    (history, bought), gen_wall, _cpu = timed(
        lambda: generate(options.users, options.items, options.interactions, options.seed)
    )
    report: dict[str, Any] = {
        "users": options.users,
        "products": options.items,
        "interactions": options.interactions,
        "distinct_user_product_pairs": int(history.nnz),
        "generate_seconds": round(gen_wall, 2),
        "cpus": os.cpu_count(),
    }
    so_far(report)
    artifact, report["ours_training"] = ours(history, bought)
    so_far(report)
    if not options.skip_implicit:
        report["implicit"] = implicit_side(history)
        so_far(report)
    with tempfile.TemporaryDirectory() as directory:
        home = Path(directory)
        _version, save_wall, _cpu = timed(lambda: model_store.save(home, artifact))
        report["model_save_seconds"] = round(save_wall, 2)
        url, db_wall, _cpu = timed(lambda: catalogue_database(home, options.items))
        report["catalogue_database_seconds"] = round(db_wall, 2)
        so_far(report)
        report["serving"] = serving(url, home, options.items, options.calls)
        so_far(report)
        report["serving_http"] = serving_over_http(url, home, options.items, options.calls)
    report["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    report["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
