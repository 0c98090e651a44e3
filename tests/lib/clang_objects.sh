# Sourced by tests/fuzz/run.sh and tests/sanitize/run.sh, which build parts of the project with
# clang apart from CMake. Expects ROOT (the repository), OUT (the output directory) and CXX (an
# array: the compiler and its flags) to be set.
mkdir -p "$OUT/obj"
# Objects compiled with other flags (a script's flags changed since) are compiled again.
if [ "$(cat "$OUT/obj/flags" 2>/dev/null)" != "${CXX[*]}" ]; then
  rm -f "$OUT"/obj/*.o
  printf '%s' "${CXX[*]}" > "$OUT/obj/flags"
fi
# The objects come back through command substitutions: a compile that fails there must stop the
# script as it would outside one.
shopt -s inherit_errexit

# compile SOURCE: compiles it to an object under $OUT/obj unless that object is newer than it
# and than every header, and prints the object's path.
compile() {
  local src=$1 rel obj
  rel=${src#"$ROOT/"}
  obj="$OUT/obj/${rel//\//_}"
  obj="${obj%.cc}.o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
     [ -n "$(find "$ROOT/src" "$ROOT/tests" -name '*.h' -newer "$obj" -print -quit)" ]; then
    "${CXX[@]}" -c "$src" -o "$obj"
  fi
  echo "$obj"
}

# module_objects: compiles common, core, compat and sim (CMakeLists.txt's modules that the tests
# and the parsers link, less the programs, *_main.cc) and prints their objects, one a line.
module_objects() {
  local src
  for src in $(find "$ROOT/src/common" "$ROOT/src/core" "$ROOT/src/compat" "$ROOT/src/sim" \
      -name '*.cc' ! -name '*_main.cc' | sort); do
    compile "$src"
  done
}
