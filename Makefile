# `make demo` and `make test` set up .venv on first use (torch 2.11 + torchaudio 2.11, ~5 GB).
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo docs system-packages test venv

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: venv
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash recipes/speech_demo/run.sh
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash recipes/ink_demo/run.sh
	@echo "try both models live: $(VENV)/bin/seqrec serve exp/speech_demo exp/ink_demo, then open http://127.0.0.1:8000/"

# the live page's tests drive Debian's chromium (with chromium-driver), and the flite voices'
# tests Debian's flite: installed here with apt-get when missing and this is root on Debian;
# elsewhere those tests skip, saying why
system-packages:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
	    || ! command -v flite >/dev/null; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && apt-get install -y -qq chromium chromium-driver flite >/dev/null; \
	  else echo "chromium or flite not installed: their tests will skip"; fi; \
	fi

test: venv system-packages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pytest -q

docs: venv
	PYTHON=$(PY) bash docs/build_api.sh docs/api
