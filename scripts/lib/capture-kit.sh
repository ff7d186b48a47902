# shellcheck shell=bash
# Shared by scripts/make-tls-captures and scripts/make-rpc-captures: the
# pieces every capture-making script needs. Source it after setting
#
#   KIT_NAME   the script's name (prefix of its messages)
#   KIT_WORK   a private temporary folder (removed by the caller)
#
# It defines functions and these globals only:
#
#   KIT_TL         the raw timeline (epoch<TAB>source<TAB>text lines)
#   KIT_CAP_PID    pid of the running `kinspect capture`, if any
#   KIT_CAP_DROPS  packets dropped by kernel + interface in the last capture
#   KIT_LABS       lab folders brought up with kit_lab_up (kit_labs_down stops them)
#
# Needs: kinspect ($KINSPECT), tshark, capinfos, awk, date.

KIT_TL=${KIT_WORK:?KIT_WORK must be set}/timeline.raw
KIT_CAP_PID=
KIT_CAP_DROPS=0
KIT_LABS=()

kit_die() {
    echo "${KIT_NAME:-capture}: $*" >&2
    exit 1
}
kit_say() { echo "${KIT_NAME:-capture}: $*" >&2; }

# kit_need_tools: every listed command must exist, else say what to install.
# Arguments are "command:debian-package" pairs.
kit_need_tools() {
    local pair cmd pkg missing=()
    for pair in "$@"; do
        cmd=${pair%%:*}
        pkg=${pair#*:}
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if ((${#missing[@]} > 0)); then
        # Deduplicate the package names, keep their order.
        local seen=" " p list=()
        for p in "${missing[@]}"; do
            [[ $seen == *" $p "* ]] || list+=("$p")
            seen+="$p "
        done
        kit_die "missing tools; install them with: sudo apt-get install -y ${list[*]}"
    fi
}

kit_now() { date +%s.%N; }

# kit_mark TEXT...: notes what the script did, with the wall-clock time.
kit_mark() {
    printf '%s\tscript\t%s\n' "$(kit_now)" "$*" >>"$KIT_TL"
    kit_say "  $*"
}

# kit_sleep_until T0 SECONDS: sleeps until SECONDS after T0 (no-op when late).
kit_sleep_until() {
    local d
    d=$(awk -v t0="$1" -v off="$2" -v now="$(kit_now)" 'BEGIN { d = t0 + off - now; printf "%.3f", (d > 0 ? d : 0) }')
    sleep "$d"
}

# kit_build_kinspect: sets KINSPECT (builds the release binary unless given).
kit_build_kinspect() {
    if [[ -z ${KINSPECT:-} ]]; then
        kit_say "building kinspect (release)"
        (cd "$ROOT" && cargo build --release --quiet --bin kinspect)
        KINSPECT=${CARGO_TARGET_DIR:-$ROOT/target}/release/kinspect
    fi
    [[ -x $KINSPECT ]] || kit_die "no kinspect binary at $KINSPECT"
}

# kit_start_capture FILE BPF MAX_DURATION: `kinspect capture -i lo -f BPF -w
# FILE --duration MAX` in the background; returns once the interface is
# open. kit_stop_capture ends it earlier.
kit_start_capture() {
    local file=$1 bpf=$2 dur=$3 i
    rm -f "$file" "$file.stderr"
    "$KINSPECT" capture -i lo -f "$bpf" -w "$file" --duration "$dur" \
        >/dev/null 2>"$file.stderr" &
    KIT_CAP_PID=$!
    for ((i = 0; i < 200; i++)); do
        if grep -q "capturing on" "$file.stderr"; then
            # Let the kernel filter settle before traffic starts.
            sleep 0.2
            return 0
        fi
        kill -0 "$KIT_CAP_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$file.stderr" >&2
    kit_die "kinspect capture did not start"
}

# kit_stop_capture FILE: SIGINT to the capture (it closes the file cleanly),
# waits for it, and sets KIT_CAP_DROPS from its closing line.
kit_stop_capture() {
    local file=$1 pid=$KIT_CAP_PID rc=0 i
    [[ -n $pid ]] || return 0
    # Let the last packets (FIN/ACK) reach the file first.
    sleep 0.5
    kill -INT "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    wait "$pid" || rc=$?
    KIT_CAP_PID=
    cat "$file.stderr" >&2
    ((rc == 0 || rc == 130)) || kit_die "kinspect capture exited with $rc"
    KIT_CAP_DROPS=$(sed -nE 's/.* ([0-9]+) dropped by kernel, ([0-9]+) dropped by interface.*/\1 \2/p' "$file.stderr" |
        awk '{print $1 + $2}')
    [[ -n $KIT_CAP_DROPS ]] || kit_die "kinspect did not report its drop counters"
    ((KIT_CAP_DROPS == 0)) || kit_say "WARNING: $(basename "$file"): $KIT_CAP_DROPS packets dropped while capturing"
    rm -f "$file.stderr"
}

# kit_kill_capture: for the EXIT trap.
kit_kill_capture() {
    [[ -n $KIT_CAP_PID ]] || return 0
    kill -INT "$KIT_CAP_PID" 2>/dev/null || true
    sleep 0.5
    kill -KILL "$KIT_CAP_PID" 2>/dev/null || true
    wait "$KIT_CAP_PID" 2>/dev/null || true
    KIT_CAP_PID=
}

# kit_packets FILE: packet count according to capinfos.
kit_packets() { capinfos -T -r -c "$1" | awk -F'\t' '{print $2}'; }

# kit_first_ts FILE: epoch time of the first packet.
kit_first_ts() { capinfos -T -r -a -S "$1" | awk -F'\t' '{print $2}'; }

# kit_verify FILE: capinfos, `tshark -q -z conv,tcp` and `kinspect pcap
# flows` must agree on the number of packets. Leaves the tshark
# conversation table in $KIT_WORK/conv.txt and sets KIT_CONVS (number of TCP
# conversations) and KIT_FLOWS (kinspect's flow count).
# shellcheck disable=SC2034 # read by the scripts that source this file
KIT_CONVS=0
# shellcheck disable=SC2034
KIT_FLOWS=0
kit_verify() {
    local f=$1 cap_pkts tshark_pkts conv_pkts flows_pkts
    kit_say "verifying $(basename "$f")"
    cap_pkts=$(kit_packets "$f")
    tshark_pkts=$(tshark -r "$f" -T fields -e frame.number | wc -l)
    tshark -r "$f" -q -z conv,tcp >"$KIT_WORK/conv.txt"
    # Sum of the "Total frames" column of every conversation.
    conv_pkts=$(awk '/<->/ { n += $(NF-4) } END { print n + 0 }' "$KIT_WORK/conv.txt")
    KIT_CONVS=$(grep -c '<->' "$KIT_WORK/conv.txt" || true)
    "$KINSPECT" pcap flows -o json "$f" >"$KIT_WORK/flows.json" 2>"$KIT_WORK/flows.stderr"
    flows_pkts=$(sed -nE 's/^([0-9]+) packets.*/\1/p' "$KIT_WORK/flows.stderr" | head -n 1)
    # shellcheck disable=SC2034
    KIT_FLOWS=$(grep -c . "$KIT_WORK/flows.json" || true)
    [[ $cap_pkts == "$tshark_pkts" && $cap_pkts == "$conv_pkts" && $cap_pkts == "$flows_pkts" ]] ||
        kit_die "$f: packet counts differ: capinfos $cap_pkts, tshark $tshark_pkts, tshark conv,tcp $conv_pkts, kinspect $flows_pkts"
    kit_say "$(basename "$f"): $cap_pkts packets (capinfos, tshark, tshark conv,tcp and kinspect agree), $KIT_CONVS TCP conversations, $(stat -c %s "$f") bytes"
}

# kit_linktype FILE: LINKTYPE_ number of the first Interface Description Block.
kit_linktype() {
    local shb
    shb=$(od -An -tu4 -j4 -N4 "$1" | tr -d ' ')
    od -An -tu2 -j$((shb + 8)) -N2 "$1" | tr -d ' '
}

# kit_write_timeline FILE PCAP HEADER: the raw timeline as "+S.mmm  source
# text", relative to the first packet of PCAP.
kit_write_timeline() {
    local file=$1 pcap=$2 header=$3 first line
    first=$(kit_first_ts "$pcap")
    {
        echo "# $(basename "$pcap"): what happened when, relative to its first packet"
        echo "# (first packet at $(date -u -d "@$first" +%Y-%m-%dT%H:%M:%S.%6NZ) = epoch $first)."
        if [[ -n $header ]]; then
            while IFS= read -r line; do echo "# $line"; done <<<"$header"
        fi
        sort -n -k1,1 "$KIT_TL" |
            awk -F'\t' -v first="$first" '{ printf "%+8.3fs  %-6s  %s\n", $1 - first, $2, $3 }'
    } >"$file"
}

# kit_rel EPOCH PCAP: seconds after the first packet of PCAP (3 decimals).
kit_rel() { awk -v t="$1" -v f="$(kit_first_ts "$2")" 'BEGIN { printf "%.3f", t - f }'; }

# ---------------------------------------------------------------- lab
# kit_lab_up DIR ARGS...: `kinspect lab etcd up --dir DIR ARGS...`; the
# folder is remembered so kit_labs_down (from the EXIT trap) stops it.
kit_lab_up() {
    local dir=$1
    shift
    KIT_LABS+=("$dir")
    "$KINSPECT" lab etcd up --dir "$dir" "$@" >"$KIT_WORK/lab-up.out" 2>&1 || {
        cat "$KIT_WORK/lab-up.out" >&2
        kit_die "kinspect lab etcd up --dir $dir $* failed"
    }
}

kit_labs_down() {
    local dir
    for dir in "${KIT_LABS[@]}"; do
        [[ -f $dir/lab.json ]] || continue
        "$KINSPECT" lab etcd down --purge --dir "$dir" >/dev/null 2>&1 ||
            kit_say "WARNING: kinspect lab etcd down --dir $dir failed"
    done
    KIT_LABS=()
}

# tshark without its "Running as user root" warning (every other message
# stays on stderr).
tshark() {
    command tshark "$@" 2> >(grep -v '^Running as user "root"' >&2)
}
