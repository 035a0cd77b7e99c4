"""The lock (requirements/*.txt, written by `make lock`) and pyproject.toml cannot drift
apart: every dependency pyproject.toml names is pinned in the lock at a version its range
admits, runtime pins dev's own versions, and every pin carries its files' hashes."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# The target scripts/lock.sh compiles for; a dependency's marker is read for it.
LOCK_TARGET = {
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
PINNED_LINE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+) *\\?$")
HASH_OPTION = re.compile(r"^\s+--hash=sha256:[0-9a-f]{64}\s*\\?$")


@dataclass(frozen=True)
class Pin:
    version: Version
    hash_count: int


def read_lock(file_name: str) -> dict[NormalizedName, Pin]:
    """The pins of one lock file; a line that is neither a pin, a hash nor a comment fails."""
    pins: dict[NormalizedName, Pin] = {}
    name: NormalizedName | None = None
    for line in (REQUIREMENTS / file_name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pinned = PINNED_LINE.match(line)
        if pinned:
            name = canonicalize_name(pinned["name"])
            pins[name] = Pin(Version(pinned["version"]), 0)
            continue
        assert name is not None, f"{file_name}: a hash before any pin: {line!r}"
        assert HASH_OPTION.match(line), f"{file_name}: neither a pin nor a hash: {line!r}"
        pins[name] = Pin(pins[name].version, pins[name].hash_count + 1)
    return pins


def applies_to_lock_target(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate(LOCK_TARGET)


def pyproject_requirements(*extras: str) -> list[Requirement]:
    """The project's dependencies, those of the given extras (following the project's
    references to its own extras) and its build requirements."""
    project = PYPROJECT["project"]
    texts = [*project["dependencies"], *PYPROJECT["build-system"]["requires"]]
    pending, seen = list(extras), set[str]()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in project["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == canonicalize_name(project["name"]):
                pending.extend(requirement.extras)
            else:
                texts.append(text)
    return [r for r in map(Requirement, texts) if applies_to_lock_target(r)]


def requirements_in(file_name: str) -> list[Requirement]:
    lines = (REQUIREMENTS / file_name).read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def outside_the_lock(requirements: list[Requirement], lock_file: str) -> list[str]:
    """Each requirement missing from the lock file, or pinned outside its range."""
    pins = read_lock(lock_file)
    problems = []
    for requirement in requirements:
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{requirement} is not in {lock_file}")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{requirement} but {lock_file} pins {pin.version}")
    return problems


@pytest.mark.parametrize(
    ("lock_file", "extras"),
    [("runtime.txt", ()), ("dev.txt", ("dev",))],
)
def test_every_pyproject_dependency_is_locked_at_a_version_its_range_admits(
    lock_file: str, extras: tuple[str, ...]
) -> None:
    assert outside_the_lock(pyproject_requirements(*extras), lock_file) == []


def test_the_no_deps_lock_pins_what_its_input_asks_for() -> None:
    assert outside_the_lock(requirements_in("dev-no-deps.in"), "dev-no-deps.txt") == []


def test_the_build_input_is_pyprojects_build_requirements() -> None:
    assert [str(r) for r in requirements_in("build.in")] == [
        str(Requirement(text)) for text in PYPROJECT["build-system"]["requires"]
    ]


def test_runtime_pins_the_versions_the_tests_run_with() -> None:
    runtime, dev = read_lock("runtime.txt"), read_lock("dev.txt")
    assert {name: pin.version for name, pin in runtime.items()} == {
        name: dev[name].version if name in dev else None for name in runtime
    }


@pytest.mark.parametrize("lock_file", ["runtime.txt", "dev.txt", "dev-no-deps.txt"])
def test_every_pin_carries_hashes(lock_file: str) -> None:
    pins = read_lock(lock_file)
    assert pins
    assert [name for name, pin in pins.items() if pin.hash_count == 0] == []


def test_a_range_the_lock_does_not_meet_is_reported() -> None:
    redis = read_lock("runtime.txt")[canonicalize_name("redis")].version
    too_new = Requirement(f"redis>{redis}")
    missing = Requirement("liveshop-not-a-dependency>=1")
    assert outside_the_lock([too_new, missing], "runtime.txt") == [
        f"{too_new} but runtime.txt pins {redis}",
        f"{missing} is not in runtime.txt",
    ]
