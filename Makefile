# Clearsight: make run (the app), make test (everything CI runs), make check (lint + types).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the lab and GUI tests need (see tests/lab/README.md).
DEB_PACKAGES := iptables dnsmasq-base openvpn wireguard-tools wireguard-go tinyproxy dnsutils \
	faketime xvfb libnetfilter-queue-dev curl openssl iproute2 procps libegl1 libxkbcommon0 \
	libxcb-cursor0 libfontconfig1 libdbus-1-3 fonts-noto-cjk libxcb-icccm4 libxcb-keysyms1 \
	libxkbcommon-x11-0 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0 \
	libxcb-xkb1 libxcb-xinerama0 \
	dpkg-dev binutils debootstrap xdotool desktop-file-utils

.PHONY: run test check lint types unit lab system-deps venv bench clean bundle deb deb-test \
	bench-bundle

$(BIN)/clearsight: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/clearsight

run: venv
	$(BIN)/clearsight

system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "Missing Debian packages:$$missing (run as root: sudo make system-deps)"; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: venv
	$(BIN)/ruff check desktop tests benchmarks packaging
	$(BIN)/ruff format --check desktop tests benchmarks packaging

types: venv
	$(BIN)/mypy

check: lint types

unit: venv
	$(BIN)/pytest tests/unit -q

lab: venv system-deps
	CLEARSIGHT_REQUIRE_LAB=1 $(BIN)/pytest tests/lab_selftest tests/lab_scenarios -q

# The whole suite. Lab tests need root; with CI=true or CLEARSIGHT_REQUIRE_LAB=1 they fail
# instead of skipping when they cannot run.
test: venv system-deps check
	CLEARSIGHT_REQUIRE_LAB=1 $(BIN)/pytest -q

bench: venv system-deps
	$(BIN)/python benchmarks/core_benchmarks.py

# The one-dir bundle (PyInstaller, in its own venv build/pyinstaller-venv) and the .deb
# (packaging/README.md). Output: dist/clearsight/ and dist/clearsight_<version>_<arch>.deb.
bundle:
	$(PYTHON) packaging/build_bundle.py

deb: bundle
	$(PYTHON) packaging/linux/build_deb.py

# Install the .deb into a clean Debian 12 chroot and run it there (also part of `make test`).
deb-test: venv system-deps
	CLEARSIGHT_REQUIRE_LAB=1 $(BIN)/pytest tests/packaging -q

bench-bundle: venv system-deps bundle
	$(BIN)/python benchmarks/bundle_benchmarks.py

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
