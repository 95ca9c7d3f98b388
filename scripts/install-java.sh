#!/usr/bin/env bash
# Java for Spark (make setup-spark): Debian's headless JRE when no Java 17+ is on PATH. Idempotent.
# Runs apt-get as root (CI) or through sudo; anything else stops with what to do.
set -euo pipefail

java_major() {
    command -v java >/dev/null 2>&1 || { echo 0; return; }
    java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
}

if [ "$(java_major)" -ge 17 ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "scripts/install-java.sh: Spark needs Java 17 or newer and this user cannot run apt-get;" \
        "install openjdk-17-jre-headless (Debian) or set JAVA_HOME and put java on PATH, then run make setup-spark again" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "scripts/install-java.sh: no apt-get here; install a Java 17+ runtime by hand, then run make setup-spark again" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
for pkg in openjdk-17-jre-headless openjdk-21-jre-headless; do
    if apt-cache show "$pkg" >/dev/null 2>&1; then
        $SUDO apt-get install -y -qq --no-install-recommends "$pkg"
        break
    fi
done
if [ "$(java_major)" -lt 17 ]; then
    echo "scripts/install-java.sh: apt-get found no openjdk-17/21-jre-headless; install a Java 17+ runtime by hand" >&2
    exit 1
fi
