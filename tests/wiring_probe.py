"""Build the app exactly as ``liveshop serve`` does, run its lifespan, and print what
is wired, as JSON: every registry's source and every domain event's subscribers.

Run by tests/test_wiring.py in a process of its own (``python -m tests.wiring_probe``),
so that nothing a test connected beforehand can fill a registry the app forgot.
Configured by the environment, as ``liveshop serve`` is.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

import liveshop


def name_of(function: Callable[..., Any] | None) -> str | None:
    """``module.qualname`` of a function, a bound method or a callable object."""
    if function is None:
        return None
    owner = getattr(function, "__self__", None)
    if owner is not None:
        return f"{type(owner).__module__}.{type(owner).__qualname__}.{function.__name__}"
    wrapped = getattr(function, "__wrapped__", None)
    if wrapped is not None:
        return name_of(wrapped)
    if hasattr(function, "__qualname__"):
        return f"{function.__module__}.{function.__qualname__}"
    return f"{type(function).__module__}.{type(function).__qualname__}"


def registries() -> dict[str, Any]:
    from liveshop.accounts.display_names import registered_display_name_check
    from liveshop.catalog.copy_review import registered_copy_checker
    from liveshop.catalog.listing import registered_listing_auditor
    from liveshop.core.experiments import registered_experiment_source
    from liveshop.core.languages import registered_languages
    from liveshop.core.risk import registered_risk_assessor
    from liveshop.core.rooms import notice_sources, registered_room_lookup
    from liveshop.governance.inspections import registered_order_sampling_source
    from liveshop.governance.models import ReportTarget
    from liveshop.governance.reports import registered_evidence_source
    from liveshop.governance.scores import registered_after_sales_source, registered_rating_source
    from liveshop.live.streams import registered_stream_source
    from liveshop.media.timeline_sources import timeline_sources
    from liveshop.privacy import registry
    from liveshop.privacy.consents import Purpose
    from liveshop.privacy.retention import purgers
    from liveshop.promotions.access import registered_shelf_lookup

    return {
        "core.rooms room lookup": name_of(registered_room_lookup()),
        "core.risk assessor": type(registered_risk_assessor()).__qualname__,
        "core.languages": list(map(name_of, registered_languages() or ())),
        "core.experiments source": list(map(name_of, registered_experiment_source() or ())),
        "core.rooms notice sources": sorted(map(name_of, notice_sources())),
        "accounts display name check": name_of(registered_display_name_check()),
        "catalog copy checker": name_of(registered_copy_checker()),
        "catalog listing auditor": name_of(registered_listing_auditor()),
        "promotions shelf lookup": name_of(registered_shelf_lookup()),
        "live stream source": name_of(registered_stream_source()),
        "media timeline sources": {
            name: name_of(source) for name, source in sorted(timeline_sources().items())
        },
        "moderation comment evidence": name_of(registered_evidence_source(ReportTarget.COMMENT)),
        "moderation after-sales source": name_of(registered_after_sales_source()),
        "moderation order sampling source": name_of(registered_order_sampling_source()),
        "moderation review evidence": name_of(registered_evidence_source(ReportTarget.REVIEW)),
        "moderation rating source": name_of(registered_rating_source()),
        "privacy exporters": {name: name_of(hook) for name, hook in registry.exporters().items()},
        "privacy erasers": [
            (entry.name, name_of(entry.eraser), entry.order) for entry in registry.erasers()
        ],
        "privacy erasure checks": {
            name: name_of(check) for name, check in registry.erasure_checks().items()
        },
        "privacy withdrawal hooks": {
            purpose.value: sorted(map(name_of, registry.withdrawal_hooks(purpose.value)))
            for purpose in Purpose
        },
        "privacy retention purgers": sorted(
            f"{data_class.value}/{name}: {name_of(purger)}"
            for (data_class, name), purger in purgers().items()
        ),
    }


def subscribers() -> dict[str, list[str]]:
    from liveshop.core.bus import bus

    handlers = bus._handlers  # what the bus holds is what this probe reports
    return {
        f"{event_type.__module__}.{event_type.__qualname__}": sorted(
            str(name_of(handler)) for handler in found
        )
        for event_type, found in handlers.items()
        if found
    }


def domain_events() -> list[str]:
    """Every DomainEvent subclass in the package (importing every module finds them)."""
    from liveshop.core.bus import DomainEvent

    for module in pkgutil.walk_packages(liveshop.__path__, "liveshop."):
        if ".migrations." not in module.name:
            importlib.import_module(module.name)
    found: list[str] = []
    pending = list(DomainEvent.__subclasses__())
    while pending:
        event_type = pending.pop()
        found.append(f"{event_type.__module__}.{event_type.__qualname__}")
        pending.extend(event_type.__subclasses__())
    return sorted(found)


def main() -> None:
    from liveshop.app import create_server_app

    app = create_server_app()
    with TestClient(app):
        wired = {"registries": registries(), "subscribers": subscribers()}
    from liveshop.wiring import EMITTED_FOR_OUTSIDE_LISTENERS

    wired["events"] = domain_events()
    wired["emitted_for_outside_listeners"] = sorted(
        f"{event_type.__module__}.{event_type.__qualname__}"
        for event_type in EMITTED_FOR_OUTSIDE_LISTENERS
    )
    print(json.dumps(wired))


if __name__ == "__main__":
    main()
