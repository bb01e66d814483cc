# Flow Studio: `make run` installs and runs the main job; `make test` installs and runs the tests.
# Everything goes into a local virtual environment (.venv); nothing is installed system-wide
# except the Debian data package the tests and recipes read (Fashion-MNIST).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
FASHION_MNIST := /usr/share/datasets/fashion-mnist

.PHONY: run sample screenshots test install system-deps qt-deps bench package package-test clean

# The studio, on the bundled Fashion-MNIST model with an example set loaded.
run: install qt-deps
	$(PY) -m flowstudio

# The same job without a screen: a posterior sample grid written to out/.
sample: install
	@mkdir -p out
	$(PY) -m flowstudio sample resources/evidence/fashion/sneakers -n 16 --seed 0 -o out/sneakers.png
	@echo "Open out/sneakers.png to see 16 new sneakers drawn from 8 examples."

screenshots: install
	QT_QPA_PLATFORM=offscreen $(PY) -m flowstudio screenshot --out out/screenshots

test: install system-deps qt-deps
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

# The system libraries Qt needs on Linux (libxcb-cursor0, libegl1, ...: the list is
# flowstudio/studio/qt_runtime.py's): installed with apt-get where it exists and some are missing,
# else named.  Elsewhere than Linux there is nothing to do.
qt-deps: install
	@if [ "$$(uname -s)" = Linux ]; then \
	  PKGS="$$($(PY) -c 'from flowstudio.studio.qt_runtime import debian_packages; print(*debian_packages())')"; \
	  if command -v dpkg-query >/dev/null; then \
	    MISSING="$$(for p in $$PKGS; do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done)"; \
	    if [ -n "$$MISSING" ]; then \
	      if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	      echo "Installing the system libraries Qt needs: "$$MISSING; \
	      $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$MISSING; \
	    fi; \
	  else \
	    echo "Qt needs these libraries (Debian names; install your system's equivalents): $$PKGS"; \
	  fi; \
	fi

bench: install system-deps
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/glow_speed.py
	$(PY) benchmarks/fewshot_fashion.py
	$(PY) benchmarks/fewshot_mnist.py
	$(PY) benchmarks/train_speed.py
	$(PY) benchmarks/vector_flow_speed.py
	$(PY) benchmarks/glf_baselines.py --epochs 4 --train-images 10240
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/playground_latency.py

# The packaged app (packaging/flowstudio.spec): dist/FlowStudio-VERSION-linux-x86_64/ and its .tar.gz.
package: install qt-deps
	$(PY) -m pip install -q -e '.[package]'
	$(PY) packaging/build.py

# Unpack the archive into an empty folder and run the app from it (packaging/smoke_test.py).
package-test: package
	$(PY) packaging/smoke_test.py

clean:
	rm -rf $(VENV) out .pytest_cache build dist
