#!/usr/bin/env bash
# The out-of-tree plugin path end to end, as an author outside this tree takes it:
#   1. cmake --install BUILD --prefix TMP/prefix     (the SDK headers, libntk_sdk.a, the package)
#   2. configure and build sdk/examples/NAME against it with find_package(ntklab_sdk)
#   3. BUILD/bin/ntklab check-plugin NAME --plugin-path TMP/build   (must pass, once per RUN)
# Also checks that the installed package names no path of this tree (include/ only is exported)
# and that only public headers are installed.
#
# usage: build_example.sh CMAKE CXX_COMPILER SOURCE_DIR BUILD_DIR NAME [RUN]...
#        each RUN is one check-plugin run's flags in one argument ("--option depth=2 --seed 3");
#        with none, one run on the defaults
set -euo pipefail
cmake=$1 cxx=$2 source_dir=$3 build_dir=$4 name=$5
shift 5

work=$(mktemp -d "${TMPDIR:-/tmp}/ntk_sdk_example_${name}.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
step() { echo "== $* ($SECONDS s)"; }

step "install the SDK into $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" --component ntklab_sdk > "$work/install.log" ||
  { cat "$work/install.log"; exit 1; }

step "check the installed package"
test -f "$prefix/lib/cmake/ntklab_sdk/ntklab_sdkConfig.cmake"
test -f "$prefix/lib/libntk_sdk.a"
test -f "$prefix/include/ntk/sdk/plugin.hpp"
if grep -rn -e "$source_dir" -e "$build_dir" "$prefix/lib/cmake"; then
  echo "FAIL: the installed package refers to the source or build tree (above)"; exit 1
fi
for header in $(cd "$prefix/include" && find . -type f); do
  if [ ! -f "$source_dir/sdk/include/$header" ]; then
    echo "FAIL: $header is installed but is not a public SDK header"; exit 1
  fi
done
for header in $(cd "$source_dir/sdk/include" && find . -name '*.hpp'); do
  test -f "$prefix/include/$header" || { echo "FAIL: public header $header not installed"; exit 1; }
done

step "configure sdk/examples/$name against the installed SDK"
"$cmake" -S "$source_dir/sdk/examples/$name" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }

step "build it"
"$cmake" --build "$work/build" -j2 > "$work/build.log" || { cat "$work/build.log"; exit 1; }
test -f "$work/build/ntk_$name.so"

# Each run also names a plugin directory that does not exist: a warning, not a failure.
runs=("$@")
[ ${#runs[@]} -eq 0 ] && runs=("")
for run in "${runs[@]}"; do
  step "ntklab check-plugin $name $run"
  # shellcheck disable=SC2086  # the run's flags are word-split on purpose
  "$build_dir/bin/ntklab" check-plugin "$name" --plugin-path "$work/build" \
    --plugin-path "$work/no_such_dir" $run > "$work/check.log" 2>&1 ||
    { cat "$work/check.log"; echo "FAIL: check-plugin $name $run"; exit 1; }
  grep -q "warning: plugin directory $work/no_such_dir does not exist" "$work/check.log" ||
    { cat "$work/check.log"; echo "FAIL: no warning about the missing plugin directory"; exit 1; }
  tail -n 1 "$work/check.log"
done
step "done"
