#!/usr/bin/env bash
# End-to-end test of the cluster path: starts a single-node Slurm on loopback (munge and
# slurm from Debian, everything in a temporary folder, no traffic beyond 127.0.0.1),
# emits and submits a 2-task job array for a tiny grid plus its dependent merge job,
# checks the merged results equal a local single-process run, then cancels one array
# task mid-run, resubmits, and checks that finished units were not recomputed.
# Usage: scripts/slurm-e2e.sh [BMRS_BINARY]   (fails loudly; cleans up on exit)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bmrs="$(cd "$(dirname "${1:-.build/release/bmrs}")" && pwd)/$(basename "${1:-.build/release/bmrs}")"
[ -x "$bmrs" ] || { echo "slurm-e2e: $bmrs not found (swift build -c release)" >&2; exit 1; }
started=$(date +%s)

need=()
for p in slurmctld slurmd slurm-client munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

tmp=$(mktemp -d /tmp/bmrs-slurm.XXXXXX)
chmod 755 "$tmp"
mkdir -p "$tmp/etc" "$tmp/state" "$tmp/spool" "$tmp/munge"
chmod 755 "$tmp/munge"
export SLURM_CONF="$tmp/etc/slurm.conf"
cleanup() {
    set +e
    scancel --user=root >/dev/null 2>&1
    for _ in $(seq 30); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 1; done
    scontrol shutdown >/dev/null 2>&1
    sleep 1
    [ -f "$tmp/munge/munged.pid" ] && kill "$(cat "$tmp/munge/munged.pid")" 2>/dev/null
    pkill -f "slurmd -f $SLURM_CONF" 2>/dev/null
    pkill -f "slurmctld -f $SLURM_CONF" 2>/dev/null
    [ "${KEEP_SLURM_TMP:-0}" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "slurm-e2e: FAILED: $*" >&2; for f in "$tmp"/*.log "$tmp"/grid*/logs/*.out; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done; exit 1; }

# munge, entirely inside the temporary folder
mungekey --create --keyfile="$tmp/munge/munge.key" >/dev/null 2>&1 || fail "mungekey"
chmod 600 "$tmp/munge/munge.key"
munged --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/munge.socket" --pid-file="$tmp/munge/munged.pid" \
       --log-file="$tmp/munge/munged.log" --seed-file="$tmp/munge/munge.seed" || fail "munged did not start"

hardware=$(slurmd -C | head -1 | sed -E 's/^NodeName=[^ ]+ /NodeName=localhost NodeAddr=127.0.0.1 /')
cat > "$SLURM_CONF" <<CONF
ClusterName=bmrs-e2e
SlurmctldHost=localhost
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$tmp/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
$hardware
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
echo "CgroupPlugin=cgroup/v1" > "$tmp/etc/cgroup.conf"

slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
for _ in $(seq 30); do scontrol ping >/dev/null 2>&1 && break; sleep 1; done
scontrol ping >/dev/null 2>&1 || fail "slurmctld not answering"
slurmd -f "$SLURM_CONF" -N localhost || fail "slurmd did not start"
for _ in $(seq 30); do [ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ] && break; sleep 1; done
[ "$(sinfo -h -n localhost -o %t)" = idle ] || fail "node not idle: $(sinfo -h -n localhost -o %t)"
echo "slurm-e2e: single-node Slurm up ($(sinfo -h -o '%n %c CPUs'))"

cat > "$tmp/grid.yaml" <<YAML
name: e2e
datasets: [fashion-mnist]
networks: [{kind: mlp, hidden: 8, depth: 1}]
methods: [none, snr, bmrs-n]
matched: [l2]
seeds: [1, 2]
epochs: 2
finetune_epochs: 1
train_limit: 600
validation_limit: 300
curves: {levels: 3, criteria: [snr, bmrs-n], finetune_epochs: 1}
slurm: {shards: 2, cpus_per_task: 1, time: "00:10:00", memory: 1G}
YAML

wait_for_queue() {  # seconds
    for _ in $(seq "$1"); do [ -z "$(squeue -h)" ] && return 0; sleep 1; done
    squeue; return 1
}

# 1. Submit the array and the merge job; compare with a local single-process run.
(cd "$tmp" && "$bmrs" grid run grid.yaml --emit-slurm "$tmp/slurm" --out "$tmp/grid") >/dev/null
"$tmp/slurm/submit.sh" || fail "submission"
wait_for_queue 600 || fail "jobs did not finish within 600 s"
grep -q "Name=bmrs-e2e-merge JobState=COMPLETED" "$tmp/jobcomp.txt" || fail "merge job did not complete: $(cat "$tmp/jobcomp.txt")"
"$bmrs" grid run "$tmp/grid.yaml" --out "$tmp/local" >/dev/null 2>&1 || fail "local run"
for f in runs.csv curves.csv; do
    cmp -s "$tmp/grid/merged/results/$f" "$tmp/local/results/$f" || fail "$f differs between the Slurm grid and the local run"
done
echo "slurm-e2e: array + merge = local run (runs.csv, curves.csv identical)"

# 2. Cancel array task 0 mid-run, resubmit, and check finished units were kept.
(cd "$tmp" && "$bmrs" grid run grid.yaml --emit-slurm "$tmp/slurm2" --out "$tmp/grid2") >/dev/null
"$tmp/slurm2/submit.sh" >/dev/null || fail "second submission"
array=$(squeue -h -o "%F %j" | awk '/bmrs-e2e$/ {print $1; exit}')
for _ in $(seq 300); do
    n=$(ls "$tmp/grid2/shards/0/runs" 2>/dev/null | grep -c '\.json$' || true)
    [ "$n" -ge 2 ] && break; sleep 0.2
done
scancel "${array}_0" || fail "scancel"
wait_for_queue 120 || fail "queue did not drain after scancel"
before=$(cd "$tmp/grid2/shards/0/runs" && ls *.json | sort)
checksum_before=$(cd "$tmp/grid2/shards/0/runs" && cat $before | md5sum)
"$tmp/slurm2/submit.sh" >/dev/null || fail "resubmission"
wait_for_queue 600 || fail "resubmitted jobs did not finish"
checksum_after=$(cd "$tmp/grid2/shards/0/runs" && cat $before | md5sum)
[ "$checksum_before" = "$checksum_after" ] || fail "finished units were rewritten after resubmission"
total=$(ls "$tmp/grid2/shards/0/runs" | grep -c '\.json$')
kept=$(echo "$before" | grep -c . || true)
for f in runs.csv curves.csv; do
    cmp -s "$tmp/grid2/merged/results/$f" "$tmp/local/results/$f" || fail "$f after resubmission differs from the local run"
done
echo "slurm-e2e: task 0 cancelled after $kept finished runs; resubmission kept them and computed $((total - kept)) more; results identical"
echo "slurm-e2e: passed in $(( $(date +%s) - started )) s"
