#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tools-image.sh CNTR TARGET_APP: --tools-image serves an image archive as
# the tools and --tools-container another container's root.  The images
# are made here, by real producers (umoci writes an OCI layout with two
# tagged images, the second deleting a file of the first: a whiteout;
# skopeo copies it to a docker-archive and an OCI tar) and by hand (python3:
# an opaque directory in a zstd layer, and hostile archives).  Checked: a
# dynamically linked program of the image runs in a FROM-scratch target,
# the second attach reuses the cache, whiteouts and opaque directories
# hold, hostile or corrupt archives fail in one line and leave nothing in
# the cache or outside it, cntr prune keeps what a session uses, and
# nothing is left behind.
# shellcheck disable=SC2016 # (sh -c scripts are single-quoted on purpose)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}" "${2:-}"
it_require_fuse
it_require_cmd umoci skopeo python3 zstd tar
bb=$(it_busybox_static) || it_skip "needs busybox-static (apt-get install busybox-static)"
loader=$(it_host_loader) || it_skip "no known glibc loader on this host"

# Never the machine's real cache.
export CNTR_CACHE_DIR=$IT_WORK/cache
images=$CNTR_CACHE_DIR/images
W=$IT_WORK

# --- The tools' root filesystem: busybox, a dynamically linked program of
# the host (seq) with its loader and libraries, and files for the layers.
tools=$W/tools-root
mkdir -p "$tools"/{bin,etc,usr/bin,gone,keep,opq}
cp "$bb" "$tools/bin/busybox"
for a in sh ls cat echo stat; do ln -s busybox "$tools/bin/$a"; done
prog=$(command -v seq)
cp "$prog" "$tools/usr/bin/seq"
it_copy_libraries "$tools" "$prog"
[[ -e $tools$loader ]] || { mkdir -p "$tools$(dirname "$loader")"; cp -L "$loader" "$tools$loader"; }
echo v1 >"$tools/etc/marker"
echo doomed >"$tools/gone/file"
echo kept >"$tools/keep/file"
echo old >"$tools/opq/old"

# --- umoci: image "base", then "v2" deleting gone/file (a whiteout).
oci=$W/oci
umoci init --layout "$oci"
umoci new --image "$oci:base"
umoci unpack --image "$oci:base" "$W/bundle" >/dev/null
cp -a "$tools/." "$W/bundle/rootfs/"
umoci repack --image "$oci:base" "$W/bundle"
umoci unpack --image "$oci:base" "$W/bundle2" >/dev/null
rm "$W/bundle2/rootfs/gone/file"
echo v2 >"$W/bundle2/rootfs/etc/marker"
umoci repack --image "$oci:v2" "$W/bundle2"
rm -rf "$W/bundle" "$W/bundle2"
skopeo --insecure-policy copy -q "oci:$oci:v2" "docker-archive:$W/tools-docker.tar:tools:v2"
skopeo --insecure-policy copy -q "oci:$oci:v2" "oci-archive:$W/tools-oci.tar:v2"

# mkimage.py OUT KIND [--tar]: an OCI layout made by hand, one layer of
# KIND over the tools' root (see the layers below), blobs named by their
# digests; --tar packs it into OUT.tar.
cat >"$W/mkimage.py" <<'PY'
import gzip, hashlib, io, json, os, subprocess, sys, tarfile
out, kind = sys.argv[1], sys.argv[2]
tools, outside = os.environ["TOOLS"], os.environ["OUTSIDE"]

def tar_of(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for info, data in entries:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return b.getvalue()

def entry(name, type=tarfile.REGTYPE, data=b"", mode=0o644, link=""):
    i = tarfile.TarInfo(name)
    i.type, i.mode, i.linkname, i.mtime = type, mode, link, 1700000000
    if type == tarfile.REGTYPE:
        i.size = len(data)
        return i, data
    return i, None

def tree():
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        t.add(tools, arcname=".")
    return b.getvalue()

D, R, L, H = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
layers = {
    # An opaque directory whose marker comes after an entry of its own
    # layer, a whiteout of a whole directory, one of nothing; zstd.
    "opaque": [entry("opq", D, mode=0o755), entry("opq/new", data=b"new\n"),
               entry("opq/.wh..wh..opq"), entry(".wh.gone"), entry("keep/.wh.nothing")],
    "dotdot": [entry("../escape-dotdot", data=b"x")],
    "absolute": [entry(outside + "/abs-escape", data=b"x")],
    "symlink-out": [entry("out", L, link=outside), entry("out/pwned", data=b"x")],
    "symlink-up": [entry("up", L, link="../../../../../../../../.."),
                   entry("up/pwned-up", data=b"contained\n")],
    "hardlink-out": [entry("hl", H, link="../../../../../../etc/passwd")],
    "hardlink-abs": [entry("hl", H, link="/etc/passwd")],
    "special": [entry("spec", D, mode=0o755), entry("spec/mem", tarfile.CHRTYPE, mode=0o666),
                entry("spec/fifo", tarfile.FIFOTYPE), entry("bin/suid", data=b"#!/bin/sh\n", mode=0o4755),
                entry("bin/sgid", data=b"#!/bin/sh\n", mode=0o2755)],
}
blobs, descs, diff_ids = {}, [], []
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    blobs[d] = data
    return "sha256:" + d
def add_layer(raw, how="gzip", media=None):
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    if how == "gzip":
        data, mt = gzip.compress(raw), "application/vnd.oci.image.layer.v1.tar+gzip"
    else:
        data = subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE, check=True).stdout
        mt = "application/vnd.oci.image.layer.v1.tar+zstd"
    descs.append({"mediaType": media or mt, "digest": blob(data), "size": len(data)})

add_layer(tree())
if kind in layers:
    add_layer(tar_of(layers[kind]), "zstd" if kind == "opaque" else "gzip")
elif kind == "many":
    add_layer(tar_of([entry("many/%05d" % i, data=b"x" * 512) for i in range(20000)]))
elif kind == "truncated":
    raw = tar_of([entry("big", data=os.urandom(1 << 20))])
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    data = gzip.compress(raw)[: 300000]
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob(data), "size": len(data)})
elif kind == "tampered":
    raw = tar_of([entry("file", data=b"good")])
    add_layer(raw)
    d = descs[-1]["digest"][7:]
    blobs[d] = gzip.compress(tar_of([entry("file", data=b"evil")]))
elif kind == "media":
    add_layer(tar_of([entry("x", data=b"x")]), media="application/vnd.example.not-a-layer")
config = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}}
cdesc = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(json.dumps(config).encode())}
cdesc["size"] = len(blobs[cdesc["digest"][7:]])
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": cdesc, "layers": descs}).encode()
mdesc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(manifest), "size": len(manifest)}
os.makedirs(out + "/blobs/sha256")
for d, data in blobs.items():
    open(out + "/blobs/sha256/" + d, "wb").write(data)
open(out + "/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
open(out + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [mdesc]}))
if "--tar" in sys.argv:
    with tarfile.open(out + ".tar", "w") as t:
        t.add(out, arcname=".")
PY
outside=$W/outside
mkdir -m 0755 "$outside"
# mkimage OUT KIND [--tar]
mkimage() { TOOLS=$tools OUTSIDE=$outside python3 "$W/mkimage.py" "$@"; }

# cache_list DIR: the entries and temporary directories of the cache's
# images directory DIR (not its lock files), one a line.
cache_list() {
  local f
  for f in "$1"/* "$1"/.tmp-*; do
    [[ -e $f && $f != *.lock ]] && printf '%s\n' "${f##*/}"
  done
  return 0
}
cache_entries() { cache_list "$images"; }

it_start_target scratch "it-tools-image-$$"
pid=$TARGET_PID
it_snapshot before "$pid"

# --- An OCI layout with two images, one named.
run_cntr -- attach --tools-image "oci:$oci:v2" "$pid" -- sh -c \
  'seq 3; cat /var/lib/cntr/etc/marker; ls /var/lib/cntr/gone; cat /var/lib/cntr/keep/file'
check_run "oci:DIR:v2 runs a dynamically linked program of the image in a scratch target" 0
check_eq "... its output, the image's files, gone/file deleted by layer 2" \
  "$(printf '1\n2\n3\nv2\nkept')" "$OUT"
check_not_contains "no progress line when stderr is no terminal" "unpacking" "$ERR"
check_eq "one cache entry" 1 "$(cache_entries | wc -l)"
entry=$images/$(cache_entries)
ino=$(stat -c %i "$entry")

run_cntr -- attach --verbose --tools-image "oci:$oci:v2" "$pid" -- cat /var/lib/cntr/etc/marker
check_run "a second attach of the image" 0
check_contains "... reuses the cache" "already in" "$ERR"
check_eq "... the same entry, not unpacked again" "$ino" "$(stat -c %i "$entry")"

run_cntr -- attach --tools-image "oci:$oci:base" "$pid" -- sh -c 'cat /var/lib/cntr/etc/marker /var/lib/cntr/gone/file'
check_run "oci:DIR:base: the other image of the layout" 0
check_eq "... has its own files" "$(printf 'v1\ndoomed')" "$OUT"

run_cntr -- attach --tools-image "$oci" "$pid" -- true
check_cntr_error "a layout of two images without a name is refused"
check_contains "... naming them" "base, v2" "$ERR"
run_cntr -- attach --tools-image "oci:$oci:nope" "$pid" -- true
check_cntr_error "an unknown tag is refused"
check_contains "... saying so" "no image named 'nope'" "$ERR"

# --- The same image as a docker-archive (also gzipped, as docker save |
# gzip makes it) and as an OCI tar.
gzip -c "$W/tools-docker.tar" >"$W/tools-docker.tar.gz"
for f in tools-docker.tar tools-docker.tar.gz tools-oci.tar; do
  run_cntr -- attach --tools-image "$W/$f" "$pid" -- sh -c 'seq 2; cat /var/lib/cntr/etc/marker'
  check_run "$f: its tools run" 0
  check_eq "... from the image" "$(printf '1\n2\nv2')" "$OUT"
done

# --- Opaque directories and whiteouts of a hand-made zstd layer.
mkimage "$W/opaque" opaque
run_cntr -- attach --tools-image "$W/opaque" "$pid" -- sh -c \
  'cd /var/lib/cntr; ls opq; ls -d gone 2>&1; cat keep/file'
check_run "a layout with an opaque directory, in a zstd layer" 0
check_contains "... its new file, written before its marker, is there" "new" "$OUT"
check_not_contains "... what the layer below had in it is not" "old" "$OUT"
check_contains "... a whiteout of a directory removed all of it" "No such file" "$OUT"
check_contains "... and the rest is there" "kept" "$OUT"

# --- Hostile and broken archives: one line, no entry, nothing outside.
hostile=$W/cache-hostile
# hostile_run KIND [--tar]: attach with that image in a cache of its own.
hostile_run() {
  local kind=$1
  shift
  rm -rf "$hostile" "$W/img-$kind" "$W/img-$kind.tar"
  mkimage "$W/img-$kind" "$kind" "$@"
  local img=$W/img-$kind
  [[ ${1:-} == --tar ]] && img=$img.tar
  run_cntr CNTR_CACHE_DIR="$hostile" -- attach --tools-image "$img" "$pid" -- sh -c "$HOSTILE_CMD"
  left=$(cache_list "$hostile/images")
}
HOSTILE_CMD=true
for k in dotdot absolute symlink-out hardlink-out hardlink-abs truncated tampered media; do
  hostile_run "$k" --tar
  check_cntr_error "a layer '$k' fails"
  check_eq "... and leaves no cache entry, nor a half-made one" "" "$left"
  [[ $k != tampered ]] || check_contains "... the tampered one says why" "its digest is" "$ERR"
  [[ $k != truncated ]] || check_contains "... the truncated one says so" "corrupt" "$ERR"
done
hostile_run media
check_contains "an unsupported media type says so" "unsupported media type" "$ERR"
check_eq "nothing landed outside the cache" "" \
  "$(ls -A "$outside"; ls -d "$W/escape-dotdot" "$CNTR_CACHE_DIR/escape-dotdot" /abs-escape /pwned-up 2>/dev/null || true)"

HOSTILE_CMD='cat /var/lib/cntr/pwned-up'
hostile_run symlink-up
check_run "a relative symlink climbing out is followed inside the tree only" 0
check_contains "... the file written through it is in the image's root" "contained" "$OUT"
check_true "... and not outside" test ! -e /pwned-up
HOSTILE_CMD='ls -A /var/lib/cntr/spec; stat -c %a /var/lib/cntr/bin/suid /var/lib/cntr/bin/sgid'
hostile_run special
check_run "device nodes, a FIFO, setuid and setgid files" 0
check_eq "... the device node is skipped, the FIFO kept, the set-id bits dropped" \
  "$(printf 'fifo\n755\n755')" "$OUT"

tar -cf "$W/not-an-image.tar" -C "$tools" etc
run_cntr CNTR_CACHE_DIR="$hostile" -- attach --tools-image "$W/not-an-image.tar" "$pid" -- true
check_cntr_error "a tar that is no image is refused"
check_contains "... saying so" "not an image" "$ERR"
run_cntr -- attach --tools-image "$W/nonexistent.tar" "$pid" -- true
check_cntr_error "a missing archive is refused"
run_cntr -- attach --tools-image "$W/tools-oci.tar" --tools /tmp "$pid" -- true
check_run "two sources of tools are a usage error" 125
run_cntr -- attach --tools-image "$W/tools-oci.tar" --tools-rw "$pid" -- true
check_run "--tools-rw with an image is a usage error" 125

# --- cntr killed while it unpacks: no entry; the next attach cleans up.
rm -rf "$hostile"
mkimage "$W/img-many" many
env CNTR_CACHE_DIR="$hostile" "$IT_TAG" "$CNTR" attach --tools-image "$W/img-many" "$pid" -- sh -c : \
  </dev/null >/dev/null 2>&1 &
unpacker=$!
for ((n = 0; n < 500; n++)); do
  tmpdir=$(cache_list "$hostile/images" | grep '^\.tmp-' || true)
  [[ -n $tmpdir && -d $hostile/images/$tmpdir/many ]] && break
  sleep 0.01
done
kill -KILL "$unpacker" 2>/dev/null || true
wait "$unpacker" 2>/dev/null || true
if [[ -n $tmpdir ]]; then
  check_eq "killed mid-unpack: no entry, only its temporary directory" "$tmpdir" "$(cache_list "$hostile/images")"
  run_cntr CNTR_CACHE_DIR="$hostile" -- attach --tools-image "$W/img-many" "$pid" -- sh -c 'ls /var/lib/cntr/many | wc -l'
  check_eq "... the next attach unpacks it whole" 20000 "$OUT"
  check_eq "... and removed what the killed one left" 1 "$(cache_list "$hostile/images" | wc -l)"
else
  it_log "the unpack of 20000 files ended before it could be killed: crash check not run"
fi

# --- A progress line on a terminal only.
run_cntr -- attach --tools-image "$W/tools-oci.tar" "$pid" -- sh -c :
check_not_contains "a cached image prints nothing" "unpacking" "$ERR"
set +e
env CNTR_CACHE_DIR="$W/cache-tty" "$IT_TAG" timeout -k 5 "$IT_TIMEOUT" \
  script -qec "$CNTR attach --tools-image $W/tools-oci.tar $pid -- sh -c :" /dev/null >"$W/tty.out" 2>&1
set -e
check_contains "a first unpack on a terminal shows its progress" "unpacking layer 1/2" "$(tr '\r' '\n' <"$W/tty.out")"

# --- Another container as the tools.
tools_target=$TARGET_PID
it_start_target busybox "it-tools-box-$$"
box=$TARGET_PID box_unshare=$TARGET_UNSHARE
TARGET_PID=$tools_target
it_snapshot before-box "$pid" "$box"
run_cntr -- attach --tools-container "$box" "$pid" -- sh -c \
  'echo from-box; cat /var/lib/cntr/etc/hostname; cat /etc/hostname
   echo scratch >/var/lib/cntr/x && cat /var/lib/cntr/x'
check_run "--tools-container: a session with another container's tools" 0
check_contains "... runs its shell" "from-box" "$OUT"
check_contains "... sees its files" "it-tools-box-$$" "$OUT"
check_contains "... at / the target's own" "it-tools-image-$$" "$OUT"
check_contains "... writes to them go to the session's scratch" "scratch" "$OUT"
check_true "... not into the other container" test ! -e "/proc/$box/root/x"
run_cntr -- attach --tools-container no-such-container-$$ "$pid" -- true
check_cntr_error "--tools-container of an unknown container is refused"
it_snapshot_settled after-box before-box "$pid" "$box"
check_snapshots before-box after-box "$pid" "$box"
it_stop_target "$box_unshare"

# --- cntr prune keeps what a session holds, removes the rest.
mkdir -m 0755 "$W/sig"
env "$IT_TAG" timeout -k 5 30 "$CNTR" attach -v "$W/sig:/sig" --tools-image "oci:$oci:v2" "$pid" -- \
  sh -c 'touch /sig/started; while [ ! -e /sig/stop ]; do sleep 0.1; done' \
  </dev/null >"$W/held.out" 2>&1 &
held=$!
for ((n = 0; n < 100; n++)); do [[ -e $W/sig/started ]] && break; sleep 0.1; done
run_cntr -- prune
check_run "cntr prune" 0
check_contains "... keeps the image a session uses" "in use" "$OUT"
check_eq "... and removes the others" 1 "$(cache_entries | wc -l)"
touch "$W/sig/stop"
wait "$held" || it_fatal "the session holding the image failed: $(cat "$W/held.out")"
run_cntr -- prune
check_contains "... once that session ended, that one too" "1 image removed" "$OUT"
check_eq "... the cache is empty" "" "$(ls -A "$images")"

# --- Two attaches of an image at once: one unpacks, the other waits.
for i in 1 2; do
  env "$IT_TAG" timeout -k 5 60 "$CNTR" attach --tools-image "$W/tools-docker.tar" "$pid" -- \
    cat /var/lib/cntr/etc/marker </dev/null >"$W/race.$i" 2>&1 &
  racer[i]=$!
done
wait "${racer[1]}" && r1=0 || r1=$?
wait "${racer[2]}" && r2=0 || r2=$?
check_eq "two concurrent first attaches both succeed" "0 0 v2 v2" "$r1 $r2 $(cat "$W/race.1") $(cat "$W/race.2")"
check_eq "... and make one entry, no temporary one left" 1 "$(cache_entries | wc -l)"

it_snapshot_settled after before "$pid"
check_snapshots before after "$pid"
it_finish
