"""The lock files agree with pyproject.toml: every declared dependency is pinned, and within its specifier.

`make install` installs requirements/dev.lock (the project's dependencies and its `dev` extra) and
`make install-bench` requirements/bench.lock (those and the `bench` extra). A dependency added to or changed in
pyproject.toml without `make lock` fails here, as does a bench lock that moves a version of the dev lock.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
DEV_LOCK = ROOT / "requirements" / "dev.lock"
BENCH_LOCK = ROOT / "requirements" / "bench.lock"

#: name -> [(version, marker or None, hashes)]: a universal lock may pin a package twice under exclusive markers.
Pins = dict[str, list[tuple[Version, str | None, list[str]]]]


def read_pins(text: str) -> Pins:
    """The pins of a lock file in pip's requirements format (`name==version ; marker \\` then `--hash=` lines)."""
    pins: Pins = {}
    logical = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        logical += " " + line.rstrip("\\").strip()
        if line.endswith("\\"):
            continue
        words = logical.split()
        logical = ""
        hashes = [word.removeprefix("--hash=") for word in words if word.startswith("--hash=")]
        spec = " ".join(word for word in words if not word.startswith("--"))
        requirement = Requirement(spec)
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1 or specifiers[0].operator != "==":
            raise ValueError(f"not an exact pin: {spec!r}")
        marker = str(requirement.marker) if requirement.marker else None
        pins.setdefault(canonicalize_name(requirement.name), []).append(
            (Version(specifiers[0].version), marker, hashes)
        )
    return pins


def declared(pyproject: dict[str, object], extras: list[str]) -> list[tuple[Requirement, str]]:
    """The project's dependencies and those of the given extras, each with where it is declared."""
    project = pyproject["project"]
    assert isinstance(project, dict)
    found = [(Requirement(text), "dependencies") for text in project.get("dependencies", [])]
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        found += [(Requirement(text), f"optional-dependencies.{extra}") for text in optional.get(extra, [])]
    return found


def lock_problems(requirements: list[tuple[Requirement, str]], pins: Pins, lock_name: str) -> list[str]:
    """What is wrong between the declared requirements and a lock: missing pins, pins outside a specifier."""
    problems = []
    for requirement, where in requirements:
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement.name} ({where}) is not pinned in {lock_name}: run `make lock`")
            continue
        for version, marker, _ in pins[name]:
            if not requirement.specifier.contains(version, prereleases=True):
                pin = f"{name}=={version} ; {marker}" if marker else f"{name}=={version}"
                problems.append(f"{lock_name} pins {pin}, outside {requirement} ({where}): run `make lock`")
    for name, entries in pins.items():
        problems += [f"{lock_name} pins {name}=={version} without a hash" for version, _, hash_ in entries if not hash_]
    return problems


def moved_pins(dev: Pins, bench: Pins) -> list[str]:
    """Packages of the dev lock that the bench lock pins at another version (or drops)."""

    def shown(entries: list[tuple[Version, str | None, list[str]]]) -> str:
        return ", ".join(sorted(f"{version} ; {marker}" if marker else str(version) for version, marker, _ in entries))

    return [
        f"{name}: {shown(entries)} in the dev lock, {shown(bench.get(name, [])) or 'nothing'} in the bench lock"
        for name, entries in dev.items()
        if shown(entries) != shown(bench.get(name, []))
    ]


@pytest.fixture(scope="module")
def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_dev_lock_pins_every_dependency_and_dev_extra(pyproject: dict[str, object]) -> None:
    pins = read_pins(DEV_LOCK.read_text(encoding="utf-8"))
    assert lock_problems(declared(pyproject, ["dev"]), pins, "requirements/dev.lock") == []


def test_bench_lock_pins_the_bench_extra_too(pyproject: dict[str, object]) -> None:
    pins = read_pins(BENCH_LOCK.read_text(encoding="utf-8"))
    assert lock_problems(declared(pyproject, ["dev", "bench"]), pins, "requirements/bench.lock") == []


def test_bench_lock_moves_no_version_of_the_dev_lock() -> None:
    dev = read_pins(DEV_LOCK.read_text(encoding="utf-8"))
    bench = read_pins(BENCH_LOCK.read_text(encoding="utf-8"))
    assert moved_pins(dev, bench) == []
    assert set(bench) > set(dev)  # and the bench extra's packages on top


LOCK_TEXT = """\
# a comment
pandas==3.1.1 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
    # via
    #   wfm-planner (pyproject.toml)
colorama==0.4.6 ; sys_platform == 'win32' \\
    --hash=sha256:cccc
tool==1.0 ; python_full_version < '3.12' \\
    --hash=sha256:dddd
tool==2.0 ; python_full_version >= '3.12' \\
    --hash=sha256:eeee
"""


def test_read_pins_reads_versions_markers_and_hashes() -> None:
    pins = read_pins(LOCK_TEXT)
    assert pins["pandas"] == [(Version("3.1.1"), None, ["sha256:aaaa", "sha256:bbbb"])]
    assert pins["colorama"] == [(Version("0.4.6"), 'sys_platform == "win32"', ["sha256:cccc"])]
    assert [version for version, _, _ in pins["tool"]] == [Version("1.0"), Version("2.0")]


def test_read_pins_refuses_a_requirement_that_is_not_pinned() -> None:
    with pytest.raises(ValueError, match="not an exact pin"):
        read_pins("pandas>=2.2 \\\n    --hash=sha256:aaaa\n")


def test_a_dependency_added_without_relocking_is_reported() -> None:
    pyproject = {"project": {"dependencies": ["pandas>=2.2", "Jinja2>=3.1"], "optional-dependencies": {}}}
    problems = lock_problems(declared(pyproject, ["dev"]), read_pins(LOCK_TEXT), "the lock")
    assert problems == ["Jinja2 (dependencies) is not pinned in the lock: run `make lock`"]


def test_a_pin_outside_a_changed_specifier_is_reported() -> None:
    pyproject = {"project": {"dependencies": [], "optional-dependencies": {"dev": ["tool>=1.5"]}}}
    problems = lock_problems(declared(pyproject, ["dev"]), read_pins(LOCK_TEXT), "the lock")
    assert problems == [
        'the lock pins tool==1.0 ; python_full_version < "3.12", outside tool>=1.5 (optional-dependencies.dev): '
        "run `make lock`"
    ]


def test_a_pin_without_a_hash_is_reported() -> None:
    pins = read_pins("pandas==3.1.1\n")
    problems = lock_problems([(Requirement("pandas>=2.2"), "dependencies")], pins, "the lock")
    assert problems == ["the lock pins pandas==3.1.1 without a hash"]


def test_a_bench_lock_that_moves_a_core_version_is_reported() -> None:
    dev = read_pins(LOCK_TEXT)
    bench = read_pins(LOCK_TEXT.replace("pandas==3.1.1", "pandas==2.3.3"))
    assert moved_pins(dev, bench) == ["pandas: 3.1.1 in the dev lock, 2.3.3 in the bench lock"]
    assert moved_pins(dev, {name: pins for name, pins in bench.items() if name != "colorama"}) == [
        "pandas: 3.1.1 in the dev lock, 2.3.3 in the bench lock",
        'colorama: 0.4.6 ; sys_platform == "win32" in the dev lock, nothing in the bench lock',
    ]
