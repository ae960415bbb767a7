# The README's two commands: `make demo` and `make test`. Each sets up what it needs.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(wildcard plugins/*/pyproject.toml))
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(PLUGINS))
MATRIX ?= 3.12 3.13

.PHONY: demo test lint types pytest docs matrix bench hostile clean

$(VENV)/.installed: pyproject.toml $(PLUGINS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' $(addprefix -e ,$(PLUGIN_DIRS))
	# the browser tests (serve's page, the HTML decision): Debian's chromium, its driver and a
	# Chinese font, without which the screenshots show empty boxes for every hanzi
	test -x /usr/bin/chromedriver -a -d /usr/share/fonts/truetype/wqy || \
	  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei)
	touch $@

demo: $(VENV)/.installed
	$(BIN)/gridconnect evaluate examples/applications/*.json

test: lint types pytest docs

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(VENV)/.installed
	$(BIN)/mypy

# The ci profile: every test, the slow ones too, every property example as written (a bare
# `pytest -q` is the quicker dev profile; see tests/conftest.py).
CI_PYTEST := -m '' --hypothesis-profile=ci -o gridconnect_conformance_examples=200

pytest: $(VENV)/.installed
	$(BIN)/pytest -q $(CI_PYTEST)

docs: $(VENV)/.installed
	$(BIN)/sphinx-build -q -W -n --keep-going -b html docs docs/_build/html

# The test suite on the other supported Pythons (pyenv); durable-rules needs a one-line define
# to build on 3.13 (PyEval_CallObject was removed from the C API).
.venv-%/.installed: pyproject.toml $(PLUGINS)
	"$$(pyenv prefix $*)/bin/python$*" -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --upgrade pip
	CPPFLAGS="-DPyEval_CallObject=PyObject_CallObject" \
	  .venv-$*/bin/python -m pip install --quiet -e '.[dev]' $(addprefix -e ,$(PLUGIN_DIRS))
	touch $@

matrix: $(foreach v,$(MATRIX),.venv-$(v)/.installed)
	@set -e; for v in $(MATRIX); do echo "== Python $$v"; .venv-$$v/bin/pytest -q $(CI_PYTEST); done

bench: $(VENV)/.installed
	$(BIN)/python bench/run.py

# The hostile suite's long profile: many more generated hostile inputs and rule files, and the
# memory runs at full size (5,000 rule sets of 10 rules, 1,500 registries).
hostile: $(VENV)/.installed
	GRIDCONNECT_HOSTILE=long $(BIN)/pytest -q -p no:randomly $(CI_PYTEST) tests/test_hostile.py

clean:
	rm -rf $(VENV) .venv-3.* docs/_build
