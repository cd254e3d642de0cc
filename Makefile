# Clearsight: make run (the app), make test (everything CI runs), make check (lint + types).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the app itself needs from a source checkout: Python's venv module, and the
# system libraries Qt loads for a window (PySide6's wheels carry Qt, not these), CJK fonts.
APP_DEB_PACKAGES := python3-venv libegl1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 \
	libfontconfig1 libdbus-1-3 fonts-noto-cjk libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
	libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xkb1 libxcb-xinerama0
# Debian packages the lab and GUI tests need besides (see tests/lab/README.md).
DEB_PACKAGES := $(APP_DEB_PACKAGES) iptables dnsmasq-base openvpn wireguard-tools wireguard-go \
	tinyproxy dnsutils faketime xvfb libnetfilter-queue-dev curl openssl iproute2 procps \
	dpkg-dev binutils debootstrap xdotool desktop-file-utils

.PHONY: run test check lint types unit lab app-deps system-deps venv bench clean bundle deb \
	deb-test \
	bench-bundle

$(BIN)/clearsight: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/clearsight

# The app: its Debian packages first (installed when run as root; otherwise the command
# that installs them is printed), then the venv, then the window.
run: app-deps venv
	$(BIN)/clearsight

# Install the Debian packages in $(1) that are missing (on Debian/Ubuntu; elsewhere nothing).
define install_debs
	@command -v dpkg >/dev/null 2>&1 || exit 0; \
	missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "Missing Debian packages:$$missing (run as root: sudo make $(2))"; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

app-deps:
	$(call install_debs,$(APP_DEB_PACKAGES),app-deps)

system-deps:
	$(call install_debs,$(DEB_PACKAGES),system-deps)

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
