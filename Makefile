# Clearsight: make run (the app), make test (everything CI runs), make check (lint + types).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages, by purpose, from the one list (packaging/debian/packages.txt).
DEBS := $(PYTHON) packaging/debian/packages.py
# Root needs nothing; anyone else reaches root through sudo where it exists.
SUDO := $(if $(filter 0,$(shell id -u)),,$(shell command -v sudo 2>/dev/null))

.PHONY: run test check lint types workflows unit lab app-deps system-deps build-deps venv bench \
	clean bundle deb deb-test bench-bundle fresh-check

# The venv needs Debian's python3-venv first (an order-only prerequisite: installing a
# package never rebuilds the venv).
$(BIN)/clearsight: pyproject.toml | app-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/clearsight

# The app: its Debian packages first (installed when run as root; otherwise the command
# that installs them is printed), then the venv, then the window.
run: app-deps venv
	$(BIN)/clearsight

# Install the Debian packages of the purposes $(1) that are missing: as root, or through
# sudo; without either, name them and stop. Where there is no dpkg, nothing happens.
define install_debs
	@command -v dpkg >/dev/null 2>&1 || exit 0; \
	missing="$$($(DEBS) --missing $(1))"; \
	[ -n "$$missing" ] || exit 0; \
	if [ "$$(id -u)" != 0 ] && [ -z "$(SUDO)" ]; then \
		echo "Missing Debian packages: $$missing"; \
		echo "Install them as root: apt-get install $$missing"; exit 1; \
	fi; \
	echo "Installing Debian packages ($(1)): $$missing"; \
	$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $$missing >/dev/null
endef

# What the app needs to run from this checkout.
app-deps:
	$(call install_debs,run)

# What the whole test suite needs (it builds and tests the .deb too).
system-deps:
	$(call install_debs,run test build)

# What the bundle and the .deb need.
build-deps:
	$(call install_debs,run build)

# Run $(1) as root (the lab needs it): directly as root, else through sudo, handing the files
# the run leaves in the checkout back to you; without sudo it runs as you, and the lab tests
# then say why they cannot run.
define as_root
	@if [ "$$(id -u)" = 0 ] || [ -z "$(SUDO)" ]; then $(1); else \
		status=0; $(SUDO) $(1) || status=$$?; \
		$(SUDO) chown -R "$$(id -u):$$(id -g)" .; exit $$status; fi
endef

lint: venv
	$(BIN)/ruff check desktop tests benchmarks packaging scripts
	$(BIN)/ruff format --check desktop tests benchmarks packaging scripts

types: venv
	$(BIN)/mypy

# The installers' workflows run only on GitHub's Windows and macOS runners: checked here before
# they are pushed. GitHub's workflow schema; zizmor's audits (unpinned actions, permissions,
# template injection, persisted credentials, secrets outside an environment; --offline: no
# GitHub API); shellcheck of the macOS scripts; tests/installers for what those cannot see
# (every action pinned to a commit, signing after testing, both Mac processors, ...).
workflows: venv
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline --persona auditor .github/workflows
	$(BIN)/shellcheck packaging/macos/*.sh
	$(BIN)/pytest tests/installers -q -p no:cacheprovider

check: lint types workflows

unit: venv
	$(BIN)/pytest tests/unit -q

lab: system-deps venv
	$(call as_root,env CLEARSIGHT_REQUIRE_LAB=1 $(BIN)/pytest tests/lab_selftest tests/lab_scenarios -q)

# The whole suite. Lab tests need root; with CI=true or CLEARSIGHT_REQUIRE_LAB=1 they fail
# instead of skipping when they cannot run. The window's responsiveness is measured in a
# process of its own, as a freshly started app: after a hundred other GUI and lab tests in
# the same process, their leftovers (garbage, finished windows) stalled the measured run.
RESPONSIVENESS := tests/gui/test_responsiveness.py
test: system-deps venv check
	$(call as_root,env CLEARSIGHT_REQUIRE_LAB=1 $(BIN)/pytest -q --deselect $(RESPONSIVENESS))
	$(call as_root,env CLEARSIGHT_REQUIRE_LAB=1 $(BIN)/pytest -q $(RESPONSIVENESS))

bench: system-deps venv
	$(call as_root,$(BIN)/python benchmarks/core_benchmarks.py)

# The one-dir bundle (PyInstaller, in its own venv build/pyinstaller-venv) and the .deb
# (packaging/README.md). Output: dist/clearsight/ and dist/clearsight_<version>_<arch>.deb.
bundle: build-deps
	$(PYTHON) packaging/build_bundle.py

deb: bundle
	$(PYTHON) packaging/linux/build_deb.py

# Install the .deb into a clean Debian 12 chroot and run it there (also part of `make test`).
deb-test: system-deps venv
	$(call as_root,env CLEARSIGHT_REQUIRE_LAB=1 $(BIN)/pytest tests/packaging -q)

bench-bundle: system-deps venv bundle
	$(call as_root,$(BIN)/python benchmarks/bundle_benchmarks.py)

# Prove a fresh machine passes: a clean clone of HEAD runs .ci/run inside a clean Debian 12
# (debootstrap, with only python3, git and make added), as CI does. Slow: see
# scripts/fresh_check.py for what it costs. Not part of `make test`.
fresh-check: build-deps
	$(call as_root,$(PYTHON) scripts/fresh_check.py)

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
