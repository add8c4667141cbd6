#!/bin/sh
# Installs what a node needs to run pods, from Debian's packages, when it is
# missing: containerd and runc (the container runtime), the standard CNI
# plugins (pod networking) and iptables (their NAT and port mappings).
# Idempotent. `rkube server` runs this itself (as root, when apt-get is
# there) if containerd, runc or the CNI plugins are missing; .ci/run calls it.
set -eu
need=""
command -v containerd >/dev/null 2>&1 || need="$need containerd"
command -v runc >/dev/null 2>&1 || need="$need runc"
[ -x /usr/lib/cni/bridge ] || [ -x /opt/cni/bin/bridge ] || need="$need containernetworking-plugins"
command -v iptables >/dev/null 2>&1 || need="$need iptables"
if [ -n "$need" ]; then
  echo "rkube: installing$need (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq $need >/dev/null
fi
# The Debian package starts containerd as a service on /run/containerd; rkube
# runs its own under its data directory, so that one is not needed.
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now containerd >/dev/null 2>&1 || true
fi
