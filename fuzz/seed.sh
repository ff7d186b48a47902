#!/bin/sh
# Seeds fuzz/corpus/capture_file/ with small real captures from the shared
# corpus (pcap, pcapng, and the malformed ones), and fuzz/corpus/flow_table/
# with the same captures behind the config byte 0x20 (flow_table's "the
# rest is a capture file" mode). Run from anywhere; corpus files are never
# committed (fuzz/corpus is git-ignored).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/../../shared/corpus}
dst=$here/corpus/capture_file
flows=$here/corpus/flow_table
mkdir -p "$dst" "$flows"
if [ ! -d "$src" ]; then
    echo "seed.sh: no shared corpus at $src; targets start from an empty corpus" >&2
    exit 0
fi
n=0
# Only small files: libFuzzer sets -max_len from the largest seed, and big
# seeds slow every execution.
for f in $(find "$src" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -size -64k | sort); do
    name=$(printf '%s' "${f#"$src"/}" | tr '/' '_')
    cp "$f" "$dst/$name"
    chmod u+w "$dst/$name"
    { printf '\040'; cat "$f"; } > "$flows/$name"
    n=$((n + 1))
done
echo "seed.sh: copied $n captures into $dst and $flows"
