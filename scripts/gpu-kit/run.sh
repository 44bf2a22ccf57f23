#!/usr/bin/env bash
# jetpinn GPU kit: the headline benchmarks on this machine's GPU, with nothing but this folder
# (no network, no Node.js, no npm). Template: scripts/gpu-kit/run.sh in the repository;
# `npm run gpu:kit` fills in the @@…@@ values.
#
# Usage: run.sh [--quick] [--expect-gpu] [--out DIR]
#        run.sh --cli <jetpinn command> [flags]     the jetpinn command-line trainer instead
#   --quick       tiny sizes of every benchmark (the self-containment test; ~1 minute)
#   --expect-gpu  a software adapter is an error (also implied when an NVIDIA driver is found)
#   --out DIR     where the JSON results go (default: $OUT when set, else ./gpu-results)
# Environment: VK_DRIVER_FILES / VK_ICD_FILENAMES choose the Vulkan driver (honoured as given);
#   JETPINN_KIT_VULKAN_LOADER=auto|system|kit picks the Vulkan loader (auto: the system's, else
#   the kit's copy); JETPINN_KIT_CXX=auto|kit the C++ runtime (auto: the system's when new enough).
#
# Built @@BUILT@@ from @@COMMIT@@;
# Node @@NODE_VERSION@@, webgpu @@WEBGPU_VERSION@@ (Dawn), Vulkan loader @@VULKAN_LOADER_VERSION@@.
set -euo pipefail

# What node and the Dawn addon need (read from their ELF version sections when the kit was built).
readonly REQUIRED_GLIBC='@@REQUIRED_GLIBC@@'
readonly REQUIRED_GLIBCXX='@@REQUIRED_GLIBCXX@@'
readonly REQUIRED_CXXABI='@@REQUIRED_CXXABI@@'
# What the kit's own copies need: its libstdc++/libgcc_s and its Vulkan loader.
readonly KIT_CXX_GLIBC='@@KIT_CXX_GLIBC@@'
readonly LOADER_GLIBC='@@LOADER_GLIBC@@'

say() { printf 'run.sh: %s\n' "$*"; }
die() {
  printf 'run.sh: %s\n' "$*" >&2
  exit 1
}
usage() { sed -n '6,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

quick=0
expect_gpu=0
out=''
cli=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --expect-gpu) expect_gpu=1 ;;
    --out)
      [ $# -ge 2 ] || die '--out needs a folder'
      out="$2"
      shift
      ;;
    --out=*) out="${1#--out=}" ;;
    --cli)
      cli=1
      shift
      break
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      printf 'run.sh: unknown argument %s\n' "$1" >&2
      usage >&2
      exit 2
      ;;
  esac
  shift
done

kit_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# version_ge A B: dotted version A ≥ B.
version_ge() {
  local IFS=.
  local -a a b
  read -r -a a <<<"$1"
  read -r -a b <<<"$2"
  local i n=${#a[@]}
  if [ ${#b[@]} -gt "$n" ]; then n=${#b[@]}; fi
  for ((i = 0; i < n; i++)); do
    local x=$((10#${a[i]:-0})) y=$((10#${b[i]:-0}))
    [ "$x" -gt "$y" ] && return 0
    [ "$x" -lt "$y" ] && return 1
  done
  return 0
}

# find_lib NAME: the system's copy of a shared library (ldconfig's cache, then the usual folders).
find_lib() {
  local name="$1" tool listing line dir
  for tool in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
    if command -v "$tool" >/dev/null 2>&1; then
      listing="$("$tool" -p 2>/dev/null || true)"
      while IFS= read -r line; do
        case "$line" in
          *"$name ("*x86-64*") => "*)
            line="${line##*=> }"
            if [ -e "$line" ]; then
              printf '%s\n' "$line"
              return 0
            fi
            ;;
        esac
      done <<<"$listing"
      break
    fi
  done
  for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /usr/local/lib64 \
    /usr/local/lib /usr/lib /lib; do
    if [ -e "$dir/$name" ]; then
      printf '%s\n' "$dir/$name"
      return 0
    fi
  done
  return 0
}

# ---- the target ---------------------------------------------------------------------------------
system="$(uname -s)"
arch="$(uname -m)"
if [ "$system" != Linux ] || [ "$arch" != x86_64 ]; then
  die "this kit runs on x86-64 Linux (its Node and Dawn addon are linux-x64 builds); this machine is $system $arch"
fi

glibc=''
if libc_text="$(getconf GNU_LIBC_VERSION 2>/dev/null)"; then glibc="${libc_text##* }"; fi
if [ -z "$glibc" ] && libc_text="$(ldd --version 2>&1)"; then
  libc_text="${libc_text%%$'\n'*}"
  glibc="${libc_text##* }"
fi
case "$glibc" in
  [0-9]*.[0-9]*) ;;
  *) die "cannot find the GNU C library's version (getconf GNU_LIBC_VERSION, ldd --version): the kit needs glibc ≥ $REQUIRED_GLIBC; musl systems (Alpine) cannot run it" ;;
esac
version_ge "$glibc" "$REQUIRED_GLIBC" ||
  die "glibc $glibc is too old: Node @@NODE_VERSION@@ and the Dawn addon need glibc ≥ $REQUIRED_GLIBC (Debian 12, Ubuntu 22.04, RHEL 9 or newer)"
say "target: $system $arch, glibc $glibc (needs ≥ $REQUIRED_GLIBC)"

if command -v sha256sum >/dev/null 2>&1; then
  (cd "$kit_dir" && sha256sum -c --quiet kit.sha256) || die 'the kit is damaged (kit.sha256 does not match); copy it again'
fi

# Where node, the addon and the libraries are unpacked; removed on exit.
tmp="$(mktemp -d "${TMPDIR:-/tmp}/jetpinn-kit.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$tmp/bin" "$tmp/dist/linux-x64" "$tmp/lib/vulkan" "$tmp/lib/cxx"
unpack() { gzip -dc "$kit_dir/payload/$1" >"$tmp/$2" || die "cannot unpack payload/$1 into $tmp (disk full?)"; }
library_path=''

# The C++ runtime: the system's when it has the versions the addon needs, else the kit's copy.
cxx_lib="$(find_lib libstdc++.so.6)"
cxx_mode="${JETPINN_KIT_CXX:-auto}"
case "$cxx_mode" in
  auto | kit) ;;
  *) die "JETPINN_KIT_CXX must be auto or kit, not $cxx_mode" ;;
esac
if [ "$cxx_mode" = auto ] && [ -n "$cxx_lib" ] && grep -qaF "GLIBCXX_$REQUIRED_GLIBCXX" "$cxx_lib" &&
  grep -qaF "CXXABI_$REQUIRED_CXXABI" "$cxx_lib"; then
  say "libstdc++: $cxx_lib (has GLIBCXX_$REQUIRED_GLIBCXX, CXXABI_$REQUIRED_CXXABI)"
  cxx_choice="system $cxx_lib"
else
  version_ge "$glibc" "$KIT_CXX_GLIBC" ||
    die "libstdc++ ${cxx_lib:-(none)} lacks GLIBCXX_$REQUIRED_GLIBCXX / CXXABI_$REQUIRED_CXXABI, which the Dawn addon needs, and the kit's own copy needs glibc ≥ $KIT_CXX_GLIBC (this one is $glibc)"
  unpack libstdc++.so.6.gz lib/cxx/libstdc++.so.6
  unpack libgcc_s.so.1.gz lib/cxx/libgcc_s.so.1
  library_path="$tmp/lib/cxx"
  if [ "$cxx_mode" = kit ]; then
    say "libstdc++: the kit's copy (JETPINN_KIT_CXX=kit)"
  else
    say "libstdc++: ${cxx_lib:-none on the system} lacks GLIBCXX_$REQUIRED_GLIBCXX / CXXABI_$REQUIRED_CXXABI; using the kit's copy"
  fi
  cxx_choice="kit"
fi

unpack node.gz bin/node
chmod 755 "$tmp/bin/node"
unpack dawn.node.gz dist/linux-x64/dawn.node
cp "$kit_dir/jetpinn-kit.mjs" "$tmp/jetpinn-kit.mjs"

# ---- the Vulkan loader --------------------------------------------------------------------------
loader_mode="${JETPINN_KIT_VULKAN_LOADER:-auto}"
system_loader="$(find_lib libvulkan.so.1)"
case "$loader_mode" in
  auto | system | kit) ;;
  *) die "JETPINN_KIT_VULKAN_LOADER must be auto, system or kit, not $loader_mode" ;;
esac
[ "$loader_mode" = system ] && [ -z "$system_loader" ] && die 'JETPINN_KIT_VULKAN_LOADER=system, but this machine has no libvulkan.so.1'
if [ "$loader_mode" = kit ] || { [ "$loader_mode" = auto ] && [ -z "$system_loader" ]; }; then
  version_ge "$glibc" "$LOADER_GLIBC" ||
    die "no usable Vulkan loader: the system has ${system_loader:-none} and the kit's needs glibc ≥ $LOADER_GLIBC"
  unpack libvulkan.so.1.gz lib/vulkan/libvulkan.so.1
  library_path="$tmp/lib/vulkan${library_path:+:$library_path}"
  loader_choice="kit $tmp/lib/vulkan/libvulkan.so.1 (@@VULKAN_LOADER_VERSION@@)"
  say "Vulkan loader: the kit's copy (@@VULKAN_LOADER_VERSION@@)${system_loader:+; not the system copy $system_loader}"
else
  loader_choice="system $system_loader"
  say "Vulkan loader: $system_loader"
fi
if [ -n "$library_path" ]; then export LD_LIBRARY_PATH="$library_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi

# ---- the Vulkan drivers (ICD manifests) ---------------------------------------------------------
manifests=()
explicit="${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-}}"
add_manifests() { # a manifest file, or a folder of them
  local entry="$1" file
  if [ -d "$entry" ]; then
    for file in "$entry"/*.json; do
      if [ -e "$file" ]; then manifests+=("$file"); fi
    done
  elif [ -e "$entry" ]; then
    manifests+=("$entry")
  else
    say "warning: the Vulkan driver manifest $entry does not exist"
  fi
}
if [ -n "$explicit" ]; then
  say "Vulkan drivers: as given (${VK_DRIVER_FILES:+VK_DRIVER_FILES}${VK_DRIVER_FILES:-VK_ICD_FILENAMES}=$explicit)"
  IFS=: read -r -a entries <<<"$explicit"
  for entry in "${entries[@]}"; do
    if [ -n "$entry" ]; then add_manifests "$entry"; fi
  done
else
  IFS=: read -r -a config_dirs <<<"${XDG_CONFIG_DIRS:-/etc/xdg}"
  IFS=: read -r -a data_dirs <<<"${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
  searched=()
  for dir in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d \
    /usr/local/etc/vulkan/icd.d "${config_dirs[@]/%//vulkan/icd.d}" \
    "${data_dirs[@]/%//vulkan/icd.d}" "${HOME:-/nonexistent}/.local/share/vulkan/icd.d"; do
    case " ${searched[*]:-} " in *" $dir "*) continue ;; esac
    searched+=("$dir")
    if [ -d "$dir" ]; then add_manifests "$dir"; fi
  done
fi
nvidia=()
icd_lines=()
for manifest in "${manifests[@]:-}"; do
  [ -n "$manifest" ] || continue
  library=''
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      *'"library_path"'*)
        library="${line#*\"library_path\"*:*\"}"
        library="${library%%\"*}"
        ;;
    esac
  done <"$manifest"
  found=''
  case "$library" in
    */*) if [ -e "$library" ] || [ -e "$(dirname "$manifest")/$library" ]; then found=yes; fi ;;
    '') ;;
    *) if [ -n "$(find_lib "$library")" ]; then found=yes; fi ;;
  esac
  note="${found:+found}"
  note="${note:-not found on this machine}"
  icd_lines+=("$manifest -> ${library:-?} ($note)")
  say "Vulkan driver: $manifest -> ${library:-?} ($note)"
  case "$manifest $library" in
    *[Nn][Vv][Ii][Dd][Ii][Aa]*) nvidia+=("$manifest") ;;
  esac
done
[ ${#icd_lines[@]} -gt 0 ] || say 'warning: no Vulkan driver manifest found; Dawn will see no GPU'
if [ ${#nvidia[@]} -gt 0 ]; then
  if [ -z "$explicit" ]; then
    # Only the NVIDIA driver, so a software Vulkan driver installed beside it is never chosen.
    VK_ICD_FILENAMES="$(
      IFS=:
      printf '%s' "${nvidia[*]}"
    )"
    export VK_ICD_FILENAMES
    say "NVIDIA driver found: VK_ICD_FILENAMES=$VK_ICD_FILENAMES"
  fi
  [ "$expect_gpu" = 1 ] || say 'NVIDIA driver found: a software adapter will be an error'
  expect_gpu=1
fi
devices=(/dev/nvidia[0-9]*)
[ -e "${devices[0]}" ] && say "devices: ${devices[*]}"
gpu_name=''
if command -v nvidia-smi >/dev/null 2>&1; then
  gpu_name="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true)"
  [ -n "$gpu_name" ] && say "nvidia-smi: $gpu_name"
fi
if [ "$expect_gpu" = 1 ]; then export JETPINN_GPU=hardware; fi

# ---- the run ------------------------------------------------------------------------------------
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$tmp}"
export JETPINN_KIT_DIR="$kit_dir"
export JETPINN_KIT_TARGET="$system $arch, glibc $glibc"
export JETPINN_KIT_LIBSTDCXX="$cxx_choice"
export JETPINN_KIT_VULKAN_LOADER_USED="$loader_choice"
JETPINN_KIT_ICDS="$(
  IFS=';'
  printf '%s' "${icd_lines[*]:-none}"
)"
export JETPINN_KIT_ICDS
export JETPINN_KIT_GPU="${gpu_name:-unknown (no nvidia-smi)}"
export JETPINN_BENCH_NOTE="${JETPINN_BENCH_NOTE:-GPU kit run (gpu-kit/run.sh); the CPU only drives the GPU}"
unset NODE_OPTIONS NODE_PATH

if [ "$cli" = 1 ]; then
  status=0
  "$tmp/bin/node" "$tmp/jetpinn-kit.mjs" cli "$@" || status=$?
  exit "$status"
fi

out="${out:-${OUT:-./gpu-results}}"
mkdir -p "$out" || die "cannot create the output folder $out"
out="$(cd "$out" && pwd)"
args=(run --out "$out")
[ "$quick" = 1 ] && args+=(--quick)
[ "$expect_gpu" = 1 ] && args+=(--expect-gpu)
status=0
"$tmp/bin/node" "$tmp/jetpinn-kit.mjs" "${args[@]}" || status=$?
say "finished in ${SECONDS} s with exit code $status; results in $out"
exit "$status"
