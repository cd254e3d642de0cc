"""What every installer says about the app: name, version, identifiers, file types.

One source for the PyInstaller spec, the .deb, the Inno Setup script (through
``build_bundle.py --print-iss-defines``), the macOS Info.plist and the workflow. The name and
version come from the package itself (``clearsight.APP_NAME``, ``clearsight.__version__``),
the same values the About box, ``--version`` and every report show.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"


def _package_attr(name: str) -> str:
    """Read ``name = "..."`` from desktop/clearsight/__init__.py without importing it (the
    build venv may hold another copy of the package)."""
    text = (ROOT / "desktop" / "clearsight" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(rf'^{name}\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"{name} not found in desktop/clearsight/__init__.py")
    return match.group(1)


NAME = _package_attr("APP_NAME")  # "Clearsight"
VERSION = _package_attr("__version__")
PACKAGE = "clearsight"  # Debian package, executable and desktop-file name
APP_ID = "org.clearsight.Clearsight"  # macOS bundle identifier, AppStream id
PUBLISHER = "The Clearsight authors"
SUMMARY = "See what on your network is blocked, and what to do about it"
DESCRIPTION = (
    "Clearsight tells you in plain words what on your network is blocked, how it is "
    "blocked, and what to do about it, and saves a report you can send to your IT support. "
    "It runs on your computer, finishes in seconds, and speaks English and Simplified Chinese."
)
LICENSE = "Apache-2.0"
# Windows: stable across versions, so an upgrade replaces the installed copy.
WINDOWS_APP_GUID = "{8C1D2E57-3B6A-4F0E-9D2C-6A1B7E4C5F30}"

# The oldest macOS the app is built and declared for; Finder refuses to open it on an older
# one instead of letting it die loading Qt. What the libraries inside really need is in
# each Mach-O file (LC_BUILD_VERSION minos), not in the wheel tags: PySide6 6.10+ wheels say
# macosx_13_0 but their binding libraries need macOS 15, so the macOS builds use PySide6 6.9
# (macos/constraints.txt: minos 12.0 throughout; cryptography and psutil 10.9/11.0).
# packaging/macos/check_bundle.py fails the build if any file needs more than this.
MACOS_MINIMUM = "13.0"
# macOS builds, one per processor (universal2 is impossible: psutil's and cryptography's
# macOS wheels are single-architecture, and cryptography 49+ has none for Intel at all).
MACOS_ARCHITECTURES = ("arm64", "x86_64")

# The app's own file types. Only these extensions are associated, never .toml or .json.
DOCUMENT_TYPES = (
    {
        "extension": "clearsight",
        "mime": "application/x-clearsight-profile",
        "uti": "org.clearsight.profile",
        "description": "Clearsight profile",
        "parent_mime": "application/toml",
        "parent_uti": "public.plain-text",
        "prog_id": "Clearsight.Profile",
    },
    {
        "extension": "clearsight-report",
        "mime": "application/x-clearsight-report",
        "uti": "org.clearsight.report",
        "description": "Clearsight report",
        "parent_mime": "application/json",
        "parent_uti": "public.json",
        "prog_id": "Clearsight.Report",
    },
)

# macOS asks the user before an app reaches devices on the local network (a router's DNS,
# an office VPN gateway, a captive portal); this text is shown in that question.
LOCAL_NETWORK_USAGE = (
    "Clearsight checks your router, DNS servers and VPN gateway on the local network to "
    "find out what is blocking your connection."
)


def mac_info_plist() -> dict[str, object]:
    """The keys PyInstaller's BUNDLE merges into the generated Info.plist."""
    return {
        "CFBundleName": NAME,
        "CFBundleDisplayName": NAME,
        "CFBundleIdentifier": APP_ID,
        "CFBundleShortVersionString": VERSION,
        "CFBundleVersion": VERSION,
        "CFBundleExecutable": NAME,
        "CFBundlePackageType": "APPL",
        "LSMinimumSystemVersion": MACOS_MINIMUM,
        "LSApplicationCategoryType": "public.app-category.utilities",
        "NSHighResolutionCapable": True,
        "NSRequiresAquaSystemAppearance": False,
        "NSLocalNetworkUsageDescription": LOCAL_NETWORK_USAGE,
        "NSHumanReadableCopyright": f"{PUBLISHER}. Licensed under {LICENSE}.",
        "CFBundleDocumentTypes": [
            {
                "CFBundleTypeName": t["description"],
                "CFBundleTypeRole": "Viewer",
                "LSHandlerRank": "Owner",
                "LSItemContentTypes": [t["uti"]],
                "CFBundleTypeIconFile": "clearsight.icns",
            }
            for t in DOCUMENT_TYPES
        ],
        "UTExportedTypeDeclarations": [
            {
                "UTTypeIdentifier": t["uti"],
                "UTTypeDescription": t["description"],
                "UTTypeConformsTo": [t["parent_uti"], "public.data"],
                "UTTypeIconFile": "clearsight.icns",
                "UTTypeTagSpecification": {
                    "public.filename-extension": [t["extension"]],
                    "public.mime-type": [t["mime"]],
                },
            }
            for t in DOCUMENT_TYPES
        ],
    }
