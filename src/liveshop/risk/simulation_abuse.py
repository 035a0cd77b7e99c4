"""The six injected kinds of abuse, each labelled with its pattern's name."""

from __future__ import annotations

import math
from collections.abc import Sequence

from liveshop.risk.simulation import DAY_SECONDS, REGIONS, Live, Person, Simulator, _poisson


def card_testing(sim: Simulator, merchants: Sequence[Person]) -> None:
    """Fresh accounts try stolen card numbers with small amounts, most declined."""
    rng, params = sim.rng, sim.params
    label = "card_testing"
    for _ in range(_poisson(rng, params.card_testing_per_day * params.days)):
        ts = sim.t0 + rng.uniform(0, params.days * DAY_SECONDS)
        region = rng.choice(REGIONS)
        accounts = [
            sim.new_person(created=ts - rng.uniform(60, 3 * DAY_SECONDS), region=region)
            for _ in range(rng.choice((1, 1, 2)))
        ]
        devices = [sim.token("d") for _ in range(rng.choice((1, 2)))]
        merchant = rng.choice(merchants)
        ip = sim.new_ip(sim.other_region(region))
        for account in accounts:
            sim.login(account, ts, rng.choice(devices), ip, label)
        for attempt in range(max(6, _poisson(rng, params.card_testing_cards))):
            ts += rng.expovariate(1 / params.card_testing_gap_seconds) + 1
            if attempt and rng.random() < 0.2:
                ip = sim.new_ip(sim.other_region(region))  # rotating proxies
            account = rng.choice(accounts)
            card = (sim.token("c"), sim.other_region(region) if rng.random() < 0.5 else region)
            sim.emit(
                ts,
                "payment",
                account,
                label=label,
                device_id=rng.choice(devices),
                ip=ip,
                card_fp=card[0],
                billing_region=card[1],
                amount=rng.randint(100, 3000),
                merchant_id=merchant.id,
                outcome="fail" if rng.random() < 0.85 else "ok",
                shipping_region=account.addresses[0][1],
                address_id=account.addresses[0][0],
            )


def account_takeover(sim: Simulator, shoppers: Sequence[Person]) -> None:
    """Stolen passwords tried from one IP; a takeover logs in from a new device far
    away, ships to a new address and pays with the victim's card."""
    rng, params = sim.rng, sim.params
    label = "account_takeover"
    aged = [person for person in shoppers if person.created < sim.t0 and person.follows]
    for _ in range(_poisson(rng, params.takeovers_per_day * params.days)):
        victim = rng.choice(aged)
        ts = sim.t0 + rng.uniform(0, params.days * DAY_SECONDS)
        region = sim.other_region(victim.region)
        ip, device = sim.new_ip(region), sim.token("d")
        for _ in range(rng.randint(0, 4)):  # others' passwords tried on the way
            other = rng.choice(aged)
            sim.emit(ts, "login", other, label=label, device_id=device, ip=ip, outcome="fail")
            ts += rng.uniform(2, 30)
        for _ in range(rng.randint(1, 4)):
            sim.emit(ts, "login", victim, label=label, device_id=device, ip=ip, outcome="fail")
            ts += rng.uniform(2, 30)
        sim.emit(ts, "login", victim, label=label, device_id=device, ip=ip)
        address = (sim.token("a"), sim.other_region(victim.region))
        for _ in range(rng.randint(1, 3)):
            ts += rng.uniform(60, 1200)
            factor = params.takeover_amount_factor * math.exp(rng.gauss(0, 0.4))
            sim.buy(
                victim,
                ts,
                device,
                ip,
                merchant=rng.choice(victim.follows),
                label=label,
                amount=victim.median_amount * factor,
                address=address,
                decline_rate=0.1,
            )


def coupon_farming(sim: Simulator, lives: Sequence[Live]) -> None:
    """Many young accounts on a few devices grab every coupon and red packet of a live."""
    rng, params = sim.rng, sim.params
    label = "coupon_farming"
    for _ in range(_poisson(rng, params.farms_per_day * params.days)):
        region = rng.choice(list(sim.carrier_ips))
        first = sim.t0 + rng.uniform(0, params.days * DAY_SECONDS)
        size = max(3, _poisson(rng, params.farm_size))
        accounts = [
            sim.new_person(created=first - rng.uniform(0, 5 * DAY_SECONDS), region=region)
            for _ in range(size)
        ]
        devices = [sim.token("d") for _ in range(max(1, size // params.farm_accounts_per_device))]
        ips = [sim.new_ip(region) for _ in range(rng.choice((1, 2)))]
        targets = [live for live in lives if live.start >= first][: rng.randint(1, 4)]
        for live in targets:
            for account in accounts:
                device, ip = rng.choice(devices), rng.choice(ips)
                ts = sim.login(account, live.start + rng.uniform(30, 300), device, ip, label)
                for kind in ("coupon_grab", "red_packet_grab"):
                    ts += rng.uniform(2, 30)
                    sim.emit(
                        ts,
                        kind,
                        account,
                        label=label,
                        device_id=device,
                        ip=ip,
                        merchant_id=live.merchant.id,
                        room_id=live.room,
                    )
                if rng.random() < 0.3:
                    sim.buy(
                        account,
                        ts + rng.uniform(10, 60),
                        device,
                        ip,
                        merchant=live.merchant,
                        room=live.room,
                        amount=rng.randint(100, 990),
                        label=label,
                    )


def flash_sale_bots(sim: Simulator, sales: Sequence[tuple[Live, float]]) -> None:
    """Scripted accounts hit a sale within a fraction of a second of its start, again
    and again, from a few data-centre addresses."""
    rng, params = sim.rng, sim.params
    label = "flash_sale_bot"
    for live, start in sales:
        if rng.random() >= params.bot_sale_share:
            continue
        region = rng.choice(list(sim.carrier_ips))
        ips = [sim.new_ip(region) for _ in range(rng.randint(1, 3))]
        for _ in range(max(1, _poisson(rng, params.bots_per_sale))):
            bot = sim.new_person(created=start - rng.uniform(1, 300) * DAY_SECONDS, region=region)
            device, ip = sim.token("d"), rng.choice(ips)
            sim.login(bot, start - rng.uniform(5, 120), device, ip, label)
            ts = start + rng.uniform(0.05, params.bot_delay_max_seconds)
            for attempt in range(rng.randint(2, 5)):
                sim.emit(
                    ts,
                    "flash_buy",
                    bot,
                    label=label,
                    device_id=device,
                    ip=ip,
                    merchant_id=live.merchant.id,
                    room_id=live.room,
                    amount=int(live.merchant.median_amount),
                    outcome="ok" if attempt == 0 and rng.random() < 0.5 else "fail",
                )
                ts += rng.uniform(0.15, 0.6)


def brushing_rings(sim: Simulator, lives: Sequence[Live]) -> None:
    """刷单: a merchant's own accounts order in its room, sharing its device, network
    or address, to inflate the room's sales."""
    rng, params = sim.rng, sim.params
    label = "brushing_ring"
    merchants = list({id(live.merchant): live.merchant for live in lives}.values())
    for merchant in rng.sample(merchants, min(params.rings, len(merchants))):
        members = []
        for _ in range(max(2, _poisson(rng, params.ring_size))):
            member = sim.new_person(
                created=sim.t0 - rng.uniform(5, 200) * DAY_SECONDS, region=merchant.region
            )
            shares = [rng.random() < 0.5, rng.random() < 0.6, rng.random() < 0.5]
            if not any(shares):
                shares[rng.randrange(3)] = True
            if shares[0]:
                member.devices = [rng.choice(merchant.devices)]
            if shares[1]:
                member.ips = [rng.choice(merchant.ips)]
            if shares[2]:
                member.addresses = [merchant.addresses[0]]
            members.append(member)
        for live in (live for live in lives if live.merchant is merchant):
            for member in members:
                if rng.random() >= params.ring_order_share:
                    continue
                device, ip = member.devices[0], rng.choice(member.ips)
                ts = sim.login(member, rng.uniform(live.start, live.end - 600), device, ip, label)
                sim.buy(
                    member,
                    ts + rng.uniform(20, 300),
                    device,
                    ip,
                    merchant=merchant,
                    room=live.room,
                    label=label,
                    amount=merchant.median_amount * rng.uniform(0.8, 1.2),
                    decline_rate=0.0,
                    refund_rate=0.0,
                )


def refund_abuse(sim: Simulator, shoppers: Sequence[Person]) -> None:
    """Ordinary-looking accounts that order often and send almost everything back."""
    rng, params = sim.rng, sim.params
    label = "refund_abuse"
    aged = [person for person in shoppers if person.created < sim.t0 and person.follows]
    shared = [(sim.token("a"), rng.choice(list(sim.carrier_ips))) for _ in range(3)]
    for abuser in rng.sample(aged, min(params.refund_abusers, len(aged))):
        abuser.addresses.append(rng.choice(shared))
        ts = sim.t0 + rng.uniform(0, DAY_SECONDS)
        while ts < sim.t1:
            device, ip = rng.choice(abuser.devices), rng.choice(abuser.ips)
            ts = sim.login(abuser, ts, device, ip)
            order_ts = ts + rng.uniform(30, 600)
            sim.buy(
                abuser,
                order_ts,
                device,
                ip,
                merchant=rng.choice(abuser.follows),
                label=label,
                address=rng.choice(abuser.addresses),
                decline_rate=0.0,
                refund_rate=params.abuser_refund_share,
                refund_days=(0.1, 1.5),
            )
            ts += rng.uniform(0.3, 1.5) * DAY_SECONDS
