#!/usr/bin/env bash
# Sign the tested Clearsight.app with a Developer ID, notarise and staple it, then make, sign,
# notarise and staple its disk image. Nothing is rebuilt: the app is the one the macos job
# built and tested (the workflow takes it out of that job's .dmg), and install_test.sh tests
# the result again.
#   packaging/macos/sign_and_notarise.sh APP ARCH OUT_DIR
# Environment (the sign-macos job sets them from secrets):
#   MACOS_CERTIFICATE_P12_BASE64, MACOS_CERTIFICATE_PASSWORD  the Developer ID Application
#                                                             certificate and its key
#   MACOS_SIGN_IDENTITY   e.g. "Developer ID Application: Name (TEAMID)"
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD               for notarytool
#
# `notarytool submit --wait` exits 0 when the submission ends "Invalid" too: the status is
# read from its JSON output and anything but "Accepted" fails here, with the notary log
# (which names each file Apple rejected) printed. The log is printed when accepted as well:
# it lists warnings.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
app="$1"
arch="$2"
out="$3"
entitlements="$here/entitlements.plist"
work="$(mktemp -d)"

keychain="$work/clearsight-signing.keychain-db"
keychain_password="$(uuidgen)"
cleanup() {
    security delete-keychain "$keychain" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
security create-keychain -p "$keychain_password" "$keychain"
security set-keychain-settings -lut 3600 "$keychain"
security unlock-keychain -p "$keychain_password" "$keychain"
printf '%s' "$MACOS_CERTIFICATE_P12_BASE64" | base64 --decode > "$work/cert.p12"
security import "$work/cert.p12" -k "$keychain" -P "$MACOS_CERTIFICATE_PASSWORD" \
    -T /usr/bin/codesign
rm -f "$work/cert.p12"
read -r -a keychains <<<"$(security list-keychains -d user | tr -d '"' | tr '\n' ' ')"
security list-keychains -d user -s "$keychain" "${keychains[@]}"
security set-key-partition-list -S apple-tool:,apple: -s -k "$keychain_password" "$keychain" \
    >/dev/null

sign() {
    codesign --force --timestamp --options runtime --entitlements "$entitlements" \
        --sign "$MACOS_SIGN_IDENTITY" "$@"
}

# Inside out (Apple: "Signing a Mac product for distribution"): every loose Mach-O file, then
# each .framework bundle PyInstaller kept (Qt's), then the app, which seals the rest.
while IFS= read -r -d '' file; do
    if file -b "$file" | grep -q "Mach-O"; then
        sign "$file"
    fi
done < <(find "$app/Contents" -type f ! -path "*.framework/*" -print0)
while IFS= read -r -d '' framework; do
    sign "$framework"
done < <(find "$app/Contents" -type d -name "*.framework" -prune -print0)
sign "$app"
codesign --verify --deep --strict --verbose=2 "$app"
codesign --display --verbose=2 "$app" 2>&1 | grep -E "^(Authority|TeamIdentifier|Runtime)"

# notarise FILE: submit, wait, fail unless Accepted; print the notary log either way.
notarise() {
    local file="$1" result status id
    result="$(xcrun notarytool submit "$file" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
        --password "$APPLE_APP_PASSWORD" --wait --output-format json)" || true
    echo "$result"
    status="$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read() or "{}").get("status", ""))' <<<"$result")"
    id="$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read() or "{}").get("id", ""))' <<<"$result")"
    if [ -n "$id" ]; then
        xcrun notarytool log "$id" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
            --password "$APPLE_APP_PASSWORD" || true
    fi
    if [ "$status" != Accepted ]; then
        echo "notarisation of $file: status '${status:-none}' (submission '${id:-none}')" >&2
        return 1
    fi
    echo "notarised: $file ($id)"
}

# The app first, so that its own ticket can be stapled: a copy dragged out of the .dmg then
# passes Gatekeeper offline too.
ditto -c -k --keepParent "$app" "$work/Clearsight.zip"
notarise "$work/Clearsight.zip"
xcrun stapler staple "$app"
xcrun stapler validate "$app"

"$here/make_dmg.sh" "$app" "$out" "$arch"
version="$(python3 "$here/../build_bundle.py" --print-version)"
dmg="$out/Clearsight-$version-macos-$arch.dmg"
codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$dmg"
notarise "$dmg"
xcrun stapler staple "$dmg"
xcrun stapler validate "$dmg"
spctl --assess --type open --context context:primary-signature --verbose "$dmg"
echo "signed and notarised: $dmg"
