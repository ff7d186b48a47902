# shellcheck shell=bash
# A throwaway 3-member plaintext etcd cluster on loopback, for scripts that
# need real etcd traffic. Source this file; it defines functions only.
#
#   members m1, m2, m3 on 127.0.0.1, 127.0.0.2, 127.0.0.3,
#   client port 2379, peer port 2380, data under $ETCD_CLUSTER_DIR.
#
# Uses the system's etcd and etcdctl (Debian: etcd-server, etcd-client).
# Every process started here is recorded in ETCD_PIDS (name -> pid); call
# etcd_cluster_stop from the caller's EXIT trap.

ETCD_MEMBERS=(m1 m2 m3)
declare -A ETCD_IP=([m1]=127.0.0.1 [m2]=127.0.0.2 [m3]=127.0.0.3)
declare -A ETCD_PIDS=()
ETCD_CLUSTER_DIR=${ETCD_CLUSTER_DIR:-}
ETCD_CLUSTER_TOKEN=${ETCD_CLUSTER_TOKEN:-kinspect-captures}
# Extra flags for every member (e.g. --heartbeat-interval=100).
ETCD_EXTRA_FLAGS=${ETCD_EXTRA_FLAGS:-}

etcd_client_url() { echo "http://${ETCD_IP[$1]}:2379"; }
etcd_peer_url() { echo "http://${ETCD_IP[$1]}:2380"; }
etcd_endpoint() { echo "${ETCD_IP[$1]}:2379"; }

# Comma-separated client endpoints of the given members (default: all).
etcd_endpoints() {
    local m out=()
    (($# > 0)) || set -- "${ETCD_MEMBERS[@]}"
    for m in "$@"; do out+=("$(etcd_endpoint "$m")"); done
    local IFS=,
    echo "${out[*]}"
}

# etcdctl against one member: etcd_ctl m2 put /a b
etcd_ctl() {
    local m=$1
    shift
    ETCDCTL_API=3 etcdctl --endpoints="$(etcd_endpoint "$m")" --dial-timeout=2s --command-timeout=5s "$@"
}

# Fails if something already listens on a member's ports.
etcd_check_ports_free() {
    local m ip port
    for m in "${ETCD_MEMBERS[@]}"; do
        ip=${ETCD_IP[$m]}
        for port in 2379 2380; do
            if ss -Hltn "src $ip:$port" 2>/dev/null | grep -q . ||
                ss -Hltn "src 0.0.0.0:$port" 2>/dev/null | grep -q .; then
                echo "etcd-cluster: $ip:$port is already in use (another etcd running?)" >&2
                return 1
            fi
        done
    done
}

# Starts (or restarts, keeping its data) one member in the background.
etcd_member_start() {
    local m=$1 initial=() peers=() x
    [[ -n $ETCD_CLUSTER_DIR ]] || {
        echo "etcd-cluster: ETCD_CLUSTER_DIR is not set" >&2
        return 1
    }
    for x in "${ETCD_MEMBERS[@]}"; do peers+=("$x=$(etcd_peer_url "$x")"); done
    local IFS=,
    initial=(--initial-cluster "${peers[*]}")
    unset IFS
    # shellcheck disable=SC2086 # ETCD_EXTRA_FLAGS is a word list on purpose
    etcd --name "$m" \
        --data-dir "$ETCD_CLUSTER_DIR/$m.etcd" \
        --listen-client-urls "$(etcd_client_url "$m")" \
        --advertise-client-urls "$(etcd_client_url "$m")" \
        --listen-peer-urls "$(etcd_peer_url "$m")" \
        --initial-advertise-peer-urls "$(etcd_peer_url "$m")" \
        "${initial[@]}" \
        --initial-cluster-state new \
        --initial-cluster-token "$ETCD_CLUSTER_TOKEN" \
        --logger zap --log-outputs "$ETCD_CLUSTER_DIR/$m.log" \
        $ETCD_EXTRA_FLAGS \
        </dev/null >>"$ETCD_CLUSTER_DIR/$m.out" 2>&1 &
    ETCD_PIDS[$m]=$!
}

# Waits until every given member (default: all) answers `endpoint health`.
etcd_wait_healthy() {
    local m deadline=$((SECONDS + ${ETCD_WAIT_SECONDS:-30}))
    (($# > 0)) || set -- "${ETCD_MEMBERS[@]}"
    for m in "$@"; do
        until etcd_ctl "$m" endpoint health >/dev/null 2>&1; do
            if ((SECONDS >= deadline)); then
                echo "etcd-cluster: $m did not become healthy; its log:" >&2
                tail -n 20 "$ETCD_CLUSTER_DIR/$m.log" "$ETCD_CLUSTER_DIR/$m.out" >&2 || true
                return 1
            fi
            if ! kill -0 "${ETCD_PIDS[$m]:-0}" 2>/dev/null; then
                echo "etcd-cluster: $m exited; its log:" >&2
                tail -n 20 "$ETCD_CLUSTER_DIR/$m.log" "$ETCD_CLUSTER_DIR/$m.out" >&2 || true
                return 1
            fi
            sleep 0.1
        done
    done
}

etcd_cluster_start() {
    local m
    etcd_check_ports_free
    for m in "${ETCD_MEMBERS[@]}"; do etcd_member_start "$m"; done
    etcd_wait_healthy
}

# Sends a signal (default KILL) to one member and reaps it.
etcd_member_kill() {
    local m=$1 sig=${2:-KILL} pid=${ETCD_PIDS[$1]:-}
    [[ -n $pid ]] || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "ETCD_PIDS[$m]"
}

# Stops every member this shell started (SIGTERM, then SIGKILL after 5 s).
etcd_cluster_stop() {
    local m pid i
    for m in "${!ETCD_PIDS[@]}"; do
        kill -TERM "${ETCD_PIDS[$m]}" 2>/dev/null || true
    done
    for m in "${!ETCD_PIDS[@]}"; do
        pid=${ETCD_PIDS[$m]}
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        unset "ETCD_PIDS[$m]"
    done
}

# The member name of a member id in hex (as etcdctl -w simple/table print it).
etcd_name_of_id() {
    local id=$1 m
    for m in "${ETCD_MEMBERS[@]}"; do
        if [[ -f $ETCD_CLUSTER_DIR/$m.id && $(<"$ETCD_CLUSTER_DIR/$m.id") == "$id" ]]; then
            echo "$m"
            return 0
        fi
    done
    echo "?"
}

# Records every member's id (hex) in $ETCD_CLUSTER_DIR/NAME.id.
etcd_record_ids() {
    local m line
    for m in "${ETCD_MEMBERS[@]}"; do
        line=$(etcd_ctl "$m" endpoint status -w simple) || return 1
        # endpoint, ID, version, db size, is leader, is learner, term, index, applied, errors
        awk -F', ' '{print $2}' <<<"$line" >"$ETCD_CLUSTER_DIR/$m.id"
    done
}

# Prints "NAME ID TERM" of the leader as the given members (default: all)
# see it; fails when none of them is leader. Asks each member about itself
# so a dead member only costs a dial timeout.
etcd_leader() {
    local m line id is_leader term
    (($# > 0)) || set -- "${ETCD_MEMBERS[@]}"
    for m in "$@"; do
        line=$(ETCDCTL_API=3 etcdctl --endpoints="$(etcd_endpoint "$m")" --dial-timeout=500ms \
            --command-timeout=1s endpoint status -w simple 2>/dev/null) || continue
        # endpoint, ID, version, db size, is leader, is learner, term, index, applied, errors
        read -r id is_leader term <<<"$(awk -F', ' '{print $2, $5, $7}' <<<"$line")"
        if [[ $is_leader == true ]]; then
            echo "$m $id $term"
            return 0
        fi
    done
    return 1
}
