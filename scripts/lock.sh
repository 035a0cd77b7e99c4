#!/usr/bin/env bash
# Writes the lock, requirements/*.txt, from pyproject.toml with `uv pip compile`:
#   bash scripts/lock.sh            (make lock)          keeps every pin that still fits pyproject.toml
#   bash scripts/lock.sh --upgrade  (make upgrade-lock)  takes the newest releases that fit
# uv runs from a throwaway venv; installing from the lock needs only pip.
# Target: CPython 3.11 on Linux x86_64 (glibc 2.28 or newer); every file of each
# pinned release is hashed, so pip may pick any wheel of it.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=${UV_VERSION:-0.13.9}
tool_dir=$(mktemp -d)
trap 'rm -rf "$tool_dir"' EXIT
python3 -m venv "$tool_dir/venv"
"$tool_dir/venv/bin/python" -m pip install --disable-pip-version-check -q "uv==$UV_VERSION"

compile() {
    "$tool_dir/venv/bin/uv" pip compile --quiet --no-config --generate-hashes \
        --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
        --custom-compile-command "make lock" "$@"
}

# dev first: the test set-up is the whole set; runtime is then held to the same
# versions, so what the tests ran is what `make demo` installs.
compile "$@" pyproject.toml requirements/build.in --extra dev -o requirements/dev.txt
compile "$@" pyproject.toml requirements/build.in -c requirements/dev.txt -o requirements/runtime.txt
compile "$@" --no-deps requirements/dev-no-deps.in -o requirements/dev-no-deps.txt
