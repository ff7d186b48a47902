# shellcheck shell=bash
# Shared by scripts/demo, scripts/test and scripts/bench-vs-tshark:
# make sure Debian/Ubuntu packages and a Rust toolchain are present.

# ensure_packages PKG... — installs what is missing with apt-get when run as
# root; otherwise prints the exact command to run and exits 2.
ensure_packages() {
    local missing=()
    local p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "kinspect needs these packages: ${missing[*]}" >&2
        echo "run:  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
        exit 2
    fi
    echo "==> installing ${missing[*]}" >&2
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
}

# ensure_rust — cargo 1.85 or newer must be on PATH (edition 2024).
ensure_rust() {
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        echo "kinspect needs Rust 1.85 or newer (cargo not found)." >&2
        echo "install it with rustup: https://rustup.rs, then run this script again" >&2
        exit 2
    fi
    local v
    v=$(cargo --version | awk '{print $2}')
    if [ "$(printf '%s\n' "1.85.0" "$v" | sort -V | head -n1)" != "1.85.0" ]; then
        echo "kinspect needs Rust 1.85 or newer, found cargo $v (run: rustup update stable)" >&2
        exit 2
    fi
}

# Packages needed to build kinspect at all.
BUILD_PACKAGES=(pkg-config libpcap-dev protobuf-compiler)
# Packages the test suite uses: real etcd, real tshark/tcpdump and openssl
# as oracles, man-db (man, groff) to read `kinspect man`.
TEST_PACKAGES=("${BUILD_PACKAGES[@]}" chromium etcd-server etcd-client tshark tcpdump openssl man-db)
