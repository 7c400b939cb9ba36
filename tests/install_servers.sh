#!/bin/sh
# The monitoring servers the live-source tests run for real (Debian's packages): installed only
# when missing, so a machine that has them is not touched.
set -eu
command -v prometheus >/dev/null && command -v prometheus-alertmanager >/dev/null && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends prometheus prometheus-alertmanager >/dev/null
