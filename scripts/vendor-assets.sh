#!/usr/bin/env bash
# Re-vendors htmx, its SSE extension and jsQR (the scanner page's QR decoder where the
# browser has no BarcodeDetector) from the npm registry at the pinned versions and
# checks them against assets/vendor.sha256, and axe-core (the accessibility tests' rule
# engine, never served) against tests/vendor/vendor.sha256. Run with --check to verify
# the copies without fetching anything (CI does that).
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX_VERSION=2.0.11
SSE_VERSION=2.2.4
AXE_VERSION=4.10.3
JSQR_VERSION=1.4.0

if [ "${1:-}" != "--check" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack --silent "htmx.org@$HTMX_VERSION" "htmx-ext-sse@$SSE_VERSION" "axe-core@$AXE_VERSION" "jsqr@$JSQR_VERSION" >/dev/null)
    tar xzf "$work/htmx.org-$HTMX_VERSION.tgz" -C "$work" package/dist/htmx.min.js
    cp "$work/package/dist/htmx.min.js" assets/htmx.min.js
    tar xzf "$work/htmx-ext-sse-$SSE_VERSION.tgz" -C "$work" package/dist/sse.min.js
    cp "$work/package/dist/sse.min.js" assets/sse.min.js
    tar xzf "$work/jsqr-$JSQR_VERSION.tgz" -C "$work" package/dist/jsQR.js
    cp "$work/package/dist/jsQR.js" assets/jsQR.js
    tar xzf "$work/axe-core-$AXE_VERSION.tgz" -C "$work" package/axe.min.js
    cp "$work/package/axe.min.js" tests/vendor/axe.min.js
fi
sha256sum --check --strict assets/vendor.sha256
(cd tests/vendor && sha256sum --check --strict vendor.sha256)
