#!/bin/sh
# The long fuzz run of the readers (Fuzz/README.md). Usage:
#   Fuzz/run.sh [ITERATIONS [READERS]]      e.g. Fuzz/run.sh 1000000 vmx,xen
# Builds the tests into .build-fuzz (unless V2V_FUZZ_SCRATCH names another scratch path) and runs
# LongFuzzTests at the lowest CPU priority. Never part of CI.
set -eu
cd "$(dirname "$0")/.."
scratch=${V2V_FUZZ_SCRATCH:-.build-fuzz}
export V2V_FUZZ_ITERATIONS=${1:-1000000}
export V2V_FUZZ_READERS=${2:-vmx,ova,xen,libvirtxml,physical}
nice -n 19 swift build --scratch-path "$scratch" --build-tests
exec nice -n 19 swift test --scratch-path "$scratch" --skip-build --no-parallel --filter LongFuzzTests
