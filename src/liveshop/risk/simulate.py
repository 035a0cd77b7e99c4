"""``liveshop risk simulate``: shoppers, merchants, their lives, then the abuse."""

from __future__ import annotations

from pathlib import Path

from liveshop.risk import simulation_abuse as abuse
from liveshop.risk.simulation import (
    DAY_SECONDS,
    Live,
    Person,
    SimulationParams,
    Simulator,
    _poisson,
    write_rows,
)


def simulate(params: SimulationParams) -> list[list[str]]:
    """The stream's rows in time order (ties in the order they were made)."""
    sim = Simulator(params)
    rng = sim.rng
    merchants = [_merchant(sim) for _ in range(params.merchants)]
    shoppers = []
    for _ in range(params.users):
        if rng.random() < params.new_account_share:
            created = sim.t0 + rng.uniform(0, params.days * DAY_SECONDS)
        else:
            created = sim.t0 - rng.uniform(1, 900) * DAY_SECONDS
        person = sim.new_person(created=created)
        person.follows = rng.sample(merchants, rng.randint(1, 3))
        shoppers.append(person)
    for person in shoppers:
        sim.shopper_sessions(person)
    lives = _lives(sim, merchants)
    sales = [_live_room(sim, live, shoppers) for live in lives]
    abuse.card_testing(sim, merchants)
    abuse.account_takeover(sim, shoppers)
    abuse.coupon_farming(sim, lives)
    abuse.flash_sale_bots(sim, [sale for sale in sales if sale is not None])
    abuse.brushing_rings(sim, lives)
    abuse.refund_abuse(sim, shoppers)
    sim.rows.sort(key=lambda item: (item[0], item[1]))
    return [row for _, _, row in sim.rows]


def write_simulation(params: SimulationParams, out: Path) -> int:
    rows = simulate(params)
    write_rows(rows, out)
    return len(rows)


def _merchant(sim: Simulator) -> Person:
    merchant = sim.new_person(created=sim.t0 - sim.rng.uniform(60, 900) * DAY_SECONDS)
    merchant.median_amount = sim.rng.uniform(3000, 20000)  # the room's usual product price
    return merchant


def _lives(sim: Simulator, merchants: list[Person]) -> list[Live]:
    rng, params = sim.rng, sim.params
    lives = []
    for merchant in merchants:
        room = sim.token("r")
        for _ in range(_poisson(rng, params.lives_per_week * params.days / 7)):
            day = rng.randrange(params.days)
            start = sim.t0 + day * DAY_SECONDS + rng.uniform(18, 22) * 3600
            lives.append(
                Live(
                    merchant=merchant,
                    room=room,
                    start=start,
                    end=start + rng.uniform(1, 2.5) * 3600,
                )
            )
    lives.sort(key=lambda live: live.start)
    return lives


def _live_room(sim: Simulator, live: Live, shoppers: list[Person]) -> tuple[Live, float] | None:
    """The merchant opens the room; followers crowd in, grab drops and packets, buy.
    Answers the flash sale (its live and its start), if the live has one."""
    rng, params = sim.rng, sim.params
    merchant = live.merchant
    device, ip = rng.choice(merchant.devices), rng.choice(merchant.ips)
    sim.login(merchant, live.start - rng.uniform(60, 600), device, ip)
    if rng.random() < 0.6:  # merchants shop too, from home
        sim.buy(
            merchant,
            live.start - rng.uniform(1, 5) * 3600,
            rng.choice(merchant.devices),
            rng.choice(merchant.ips),
            merchant=rng.choice(merchant.follows or [merchant]),
        )
    drop = live.start + rng.uniform(300, 1800)
    packet = live.start + rng.uniform(600, 3000)
    sale = live.start + rng.uniform(900, 3600) if rng.random() < 0.7 else None
    stock = rng.randint(20, 200)
    followers = [
        person for person in shoppers if merchant in person.follows and person.created < live.start
    ]
    room = {"merchant_id": merchant.id, "room_id": live.room}
    for person in followers:
        if rng.random() >= params.attend_share:
            continue
        device, ip = rng.choice(person.devices), sim.session_ip(person)
        sim.login(person, live.start + rng.uniform(0, live.end - live.start - 600), device, ip)
        if rng.random() < 0.5:
            sim.emit(
                drop + rng.expovariate(1 / 20) + 1,
                "coupon_grab",
                person,
                device_id=device,
                ip=ip,
                **room,
            )
        if rng.random() < 0.4:
            sim.emit(
                packet + rng.expovariate(1 / 8) + 0.8,
                "red_packet_grab",
                person,
                device_id=device,
                ip=ip,
                **room,
            )
        if sale is not None and rng.random() < 0.25:
            ts = sale + 1.0 + rng.expovariate(1 / 8)
            outcome = "ok" if stock > 0 else "fail"
            stock -= 1
            sim.emit(
                ts,
                "flash_buy",
                person,
                device_id=device,
                ip=ip,
                amount=int(merchant.median_amount * 0.6),
                outcome=outcome,
                **room,
            )
            if outcome == "fail" and rng.random() < 0.3:
                sim.emit(
                    ts + rng.uniform(1, 4),
                    "flash_buy",
                    person,
                    device_id=device,
                    ip=ip,
                    amount=int(merchant.median_amount * 0.6),
                    outcome="fail",
                    **room,
                )
        if rng.random() < 0.15:
            sim.buy(
                person,
                live.start + rng.uniform(300, live.end - live.start),
                device,
                ip,
                merchant=merchant,
                room=live.room,
                amount=merchant.median_amount * rng.uniform(0.8, 1.2),
            )
    return (live, sale) if sale is not None else None
