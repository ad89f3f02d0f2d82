# Two commands do all set-up on a fresh Debian 12 / Ubuntu machine:
#   make demo   system packages + .venv + project, then the main job on data/samples
#   make test   the same set-up, then the whole test suite
# Both are idempotent and quiet when nothing is missing.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTHON ?= python3

# What the product needs at run time.
APT_RUN := tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils fonts-dejavu-core fonts-noto-core fonts-noto-mono fonts-sil-andika libsane1 sane-utils libsane-dev gcc python3-dev
# What the tests need on top (real servers and tools, started by the tests themselves).
APT_TEST := $(APT_RUN) unpaper ghostscript chromium postgresql

export OMP_THREAD_LIMIT := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: demo test system-run system-test lint typecheck clean-state

define apt_ensure
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Cài gói hệ thống còn thiếu: $$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { echo "Cài python3-venv"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
endef

system-run:
	$(call apt_ensure,$(APT_RUN))

system-test:
	$(call apt_ensure,$(APT_TEST))

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Cần Python >= 3.11"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev,bench]'
	@touch $@

demo: system-run $(VENV)/.installed
	@$(VENV)/bin/sohoa demo

test: system-test $(VENV)/.installed
	@$(PY) -m pytest -q

lint: $(VENV)/.installed
	@$(VENV)/bin/ruff check .

typecheck: $(VENV)/.installed
	@$(VENV)/bin/mypy

clean-state:
	rm -rf var
