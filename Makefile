# `make demo` and `make test` set up .venv on first use (torch 2.11 + torchaudio 2.11, ~5 GB).
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo docs test venv

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: venv
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash recipes/speech_demo/run.sh
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash recipes/ink_demo/run.sh

test: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pytest -q

docs: venv
	PYTHON=$(PY) bash docs/build_api.sh docs/api
