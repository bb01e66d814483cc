# Flow Studio: `make run` installs and runs the main job; `make test` installs and runs the tests.
# Everything goes into a local virtual environment (.venv); nothing is installed system-wide
# except the Debian data package the tests and recipes read (Fashion-MNIST).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
FASHION_MNIST := /usr/share/datasets/fashion-mnist

.PHONY: run sample screenshots test install system-deps bench clean

# The studio, on the bundled Fashion-MNIST model with an example set loaded.
run: install
	$(PY) -m flowstudio

# The same job without a screen: a posterior sample grid written to out/.
sample: install
	@mkdir -p out
	$(PY) -m flowstudio sample resources/evidence/fashion/sneakers -n 16 --seed 0 -o out/sneakers.png
	@echo "Open out/sneakers.png to see 16 new sneakers drawn from 8 examples."

screenshots: install
	QT_QPA_PLATFORM=offscreen $(PY) -m flowstudio screenshot --out out/screenshots

test: install system-deps
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

install: $(VENV)/.installed

# torch is pinned to 2.13.0 (the CPU build on the project machines); it is installed
# first so that no later requirement can pull a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

system-deps:
	@if [ ! -d $(FASHION_MNIST) ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist; \
	fi

bench: install system-deps
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/glow_speed.py
	$(PY) benchmarks/fewshot_fashion.py
	$(PY) benchmarks/train_speed.py

clean:
	rm -rf $(VENV) out .pytest_cache
