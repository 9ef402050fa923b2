#!/bin/sh
# A stand-in C compiler and archiver for `make check-targets` (cargo check of the Windows
# and macOS targets on Linux): no C toolchain for those targets exists here, and `cargo check`
# only needs build scripts to finish, not working native code. It compiles nothing; it
# creates the files a build script expects (`-o FILE`, `-out:FILE`, archives ending in .a or
# .lib) so cc-rs can copy them. Never used for real builds.
out=""
for arg in "$@"; do
  if [ "$out" = next ]; then out=""; : > "$arg"; continue; fi
  case "$arg" in
    -o) out=next ;;
    -out:*|/OUT:*) : > "${arg#*:}" ;;
    -o*) : > "${arg#-o}" ;;
    *.a|*.lib) case "$arg" in -*) ;; *) : > "$arg" ;; esac ;;
  esac
done
exit 0
