#!/usr/bin/env bash
# The nightly job: a signed export, the public site (`ansinh publish`) and a compacted
# backup of an ansinh store, in a dated folder, checked with tools/verify-export.py; the backup is audited, and held
# to the head the previous night published; every backup kept is checked against its
# SHA-256 and its structure walked; only the last KEEP are kept.
#
#   ANSINH_STORE=/var/lib/ansinh/nui-sam ANSINH_ARCHIVE=/var/backups/ansinh \
#       tools/nightly-export.sh
#
# Settings (environment):
#   ANSINH_STORE    the store (required)
#   ANSINH_ARCHIVE  where the dated folders go (required)
#   ANSINH          the ansinh program (default: ansinh on the PATH)
#   ANSINH_KEEP     how many dated folders to keep (default: 30)
#   ANSINH_PUBLIC_KEY  the ward's published public key (hex, or a file holding it);
#                   default: the store's signing.pub
#   ANSINH_WITNESSES   the witnesses asked to cosign the night's checkpoint, separated
#                   by spaces: a witness's folder (`ansinh witness`), or VKEY@PREFIX for a
#                   witness's tlog-witness API at the https:// PREFIX whose verifier key
#                   is VKEY. Their cosignatures go, with the checkpoint, into
#                   export/checkpoint.witnessed, each checked with the witness's key; a
#                   witness that refuses (a split view) fails the night.
# Every line it logs starts with a UTC time; on failure the last line says what
# failed, and the exit status is not 0. A failed night leaves no folder that looks
# complete: the export is renamed into place only when whole, and the dated folder
# is renamed from .partial only when everything in it checked out.
set -euo pipefail

log() { printf '%s ansinh-nightly: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

: "${ANSINH_STORE:?set ANSINH_STORE to the store}"
: "${ANSINH_ARCHIVE:?set ANSINH_ARCHIVE to the archive folder}"
ansinh=${ANSINH:-ansinh}
keep=${ANSINH_KEEP:-30}
here=$(cd "$(dirname "$0")" && pwd)
command -v "$ansinh" >/dev/null 2>&1 || fail "cannot run $ansinh"
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || fail "ANSINH_KEEP must be a whole number ≥ 1, not $keep"

# ANSINH_TEST_TODAY (for tests only) fixes the day, as it fixes ansinh's clock.
day=${ANSINH_TEST_TODAY:-$(TZ=Asia/Ho_Chi_Minh date +%Y-%m-%d)}
final="$ANSINH_ARCHIVE/$day"
work="$ANSINH_ARCHIVE/.$day.partial"
[ -e "$final" ] && fail "$final already exists"
rm -rf "$work"
mkdir -p "$work" || fail "cannot create $work"

log "exporting $ANSINH_STORE"
"$ansinh" export --store "$ANSINH_STORE" --out "$work/export" >"$work/export.log" 2>&1 \
    || fail "export: $(tail -n 1 "$work/export.log")"
# The last night whose export has a checkpoint: tonight's must extend it.
earlier_export=()
mapfile -t nights < <(find "$ANSINH_ARCHIVE" -mindepth 1 -maxdepth 1 -type d -name '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' | sort -r)
for folder in ${nights[@]+"${nights[@]}"}; do
    if [ -f "$folder/export/checkpoint" ]; then earlier_export=(--previous "$folder/export"); break; fi
done

# Witnesses cosign tonight's checkpoint, each given the consistency proof from the last
# checkpoint it cosigned (c2sp.org/tlog-witness): asked from 0 first, a witness answers
# with the size it last cosigned, and is asked again from there.
witness_keys=()
if [ -n "${ANSINH_WITNESSES:-}" ] && [ -f "$work/export/checkpoint" ]; then
    size=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["treeSize"])' "$work/export/manifest.json")
    cp "$work/export/checkpoint" "$work/checkpoint.witnessed"
    ask() {  # ask WITNESS OLD: the cosignature lines on stdout; the status as the witness's
        local body status
        # (the command substitution drops the note's last newline; printf puts it back)
        body=$("$ansinh" checkpoint --store "$ANSINH_STORE" --size "$size" --old "$2") || return 74
        if [[ "$1" == *@http* ]]; then
            status=$(printf '%s\n' "$body" | curl -sS -o "$work/witness.out" -w '%{http_code}' --data-binary @- "${1#*@}/add-checkpoint") || return 74
            cat "$work/witness.out"
            case "$status" in 200) return 0 ;; 409) return 73 ;; *) return 65 ;; esac
        fi
        printf '%s\n' "$body" | "$ansinh" witness add-checkpoint --dir "$1" 2>>"$work/witness.log"
    }
    for witness in $ANSINH_WITNESSES; do
        log "asking $witness to cosign"
        status=0
        answer=$(ask "$witness" 0) || status=$?
        if [ "$status" -eq 73 ] && [[ "$answer" =~ ^[0-9]+$ ]]; then
            status=0
            answer=$(ask "$witness" "$answer") || status=$?
        fi
        [ "$status" -eq 0 ] || fail "witness $witness refused: $(tail -n 1 "$work/witness.log" 2>/dev/null || echo "$answer")"
        printf '%s\n' "$answer" >>"$work/checkpoint.witnessed"
        # Each cosignature is checked with the witness's key by verify-export.py below.
        if [[ "$witness" == *@http* ]]; then
            witness_keys+=(--witness-key "${witness%%@*}")
        else
            witness_keys+=(--witness-key "$("$ansinh" witness show --dir "$witness" | sed -n 's/^Key: //p')")
        fi
    done
    mv "$work/checkpoint.witnessed" "$work/export/checkpoint.witnessed"
fi

log "checking the export"
python3 "$here/verify-export.py" "$work/export" ${earlier_export[@]+"${earlier_export[@]}"} ${witness_keys[@]+"${witness_keys[@]}"} \
    >"$work/verify.log" 2>&1 || fail "export check: $(tail -n 1 "$work/verify.log")"
# The public site beside the export, with every night's checkpoint kept in it
# (diem-kiem/<day>, carried from the last night's site, so rotation loses none).
log "publishing the site"
"$ansinh" publish --store "$ANSINH_STORE" --out "$work/site" >"$work/publish.log" 2>&1 \
    || fail "publish: $(tail -n 1 "$work/publish.log")"
mkdir -p "$work/site/diem-kiem"
for folder in ${nights[@]+"${nights[@]}"}; do
    if [ -d "$folder/site/diem-kiem" ]; then cp -n "$folder/site/diem-kiem/"* "$work/site/diem-kiem/" 2>/dev/null || true; break; fi
done
[ -f "$work/export/checkpoint" ] && cp "$work/export/checkpoint" "$work/site/diem-kiem/$day"
[ -f "$work/export/checkpoint.witnessed" ] && cp "$work/export/checkpoint.witnessed" "$work/site/diem-kiem/$day.witnessed"
log "backing up"
"$ansinh" backup --store "$ANSINH_STORE" --out "$work/data.mdb" >"$work/backup.log" 2>&1 \
    || fail "backup: $(tail -n 1 "$work/backup.log")"
# The backup must also still hold the head the last night published, with the same
# hash: that shows events cut from the end, or a chain recomputed after an edit. With
# the ward's key (ANSINH_PUBLIC_KEY, the published key or a file holding it; else the
# store's signing.pub), only a manifest signed with it counts: an unsigned one, or
# one whose signature was removed, is passed over, with a warning, for the last one
# that is signed.
key=${ANSINH_PUBLIC_KEY:-}
if [ -z "$key" ] && [ -f "$ANSINH_STORE/signing.pub" ]; then key="$ANSINH_STORE/signing.pub"; fi
held=()
previous=""
mapfile -t dated < <(find "$ANSINH_ARCHIVE" -mindepth 1 -maxdepth 1 -type d -name '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' | sort -r)
for folder in ${dated[@]+"${dated[@]}"}; do
    [ -f "$folder/export/manifest.json" ] || continue
    if [ -n "$key" ]; then
        if [ ! -f "$folder/export/manifest.sig" ]; then
            log "WARNING: $folder/export/manifest.json is not signed; not holding the store to it"
            continue
        fi
        held=(--manifest "$folder/export/manifest.json" --public-key "$key")
    else
        held=(--manifest "$folder/export/manifest.json")
    fi
    previous=$folder
    break
done
log "auditing the backup${previous:+ against $previous}"
mkdir -p "$work/restore-check"
cp "$work/data.mdb" "$work/restore-check/data.mdb"
"$ansinh" audit verify --store "$work/restore-check" ${held[@]+"${held[@]}"} >"$work/audit.log" 2>&1 \
    || fail "audit of the backup: $(tail -n 1 "$work/audit.log")"
rm -rf "$work/restore-check"
mv "$work" "$final" || fail "cannot rename $work to $final"
log "done: $final ($(head -n 1 "$final/verify.log"))"

# Keep the last $keep dated folders.
mapfile -t folders < <(find "$ANSINH_ARCHIVE" -mindepth 1 -maxdepth 1 -type d -name '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' | sort)
excess=$(( ${#folders[@]} - keep ))
for (( index = 0; index < excess; index++ )); do
    log "removing ${folders[$index]} (keeping the last $keep)"
    rm -rf "${folders[$index]}"
done

# After the rotation, so a backup that rotted cannot keep old folders from going:
# every backup kept must still match its SHA-256 and hold its structure: a backup
# that rotted on its disk is found the night it rots, not the day it is needed.
mapfile -t kept < <(find "$ANSINH_ARCHIVE" -mindepth 1 -maxdepth 1 -type d -name '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' | sort)
for folder in ${kept[@]+"${kept[@]}"}; do
    [ -f "$folder/data.mdb" ] || continue
    if [ -f "$folder/data.mdb.sha256" ]; then
        (cd "$folder" && sha256sum --quiet -c data.mdb.sha256) >"$ANSINH_ARCHIVE/.check.log" 2>&1 \
            || fail "the backup $folder/data.mdb no longer matches its SHA-256"
    else
        log "WARNING: $folder/data.mdb has no SHA-256 beside it (written before backups carried one)"
    fi
    "$ansinh" audit verify --structure-only --store "$folder" >"$ANSINH_ARCHIVE/.check.log" 2>&1 \
        || fail "the backup in $folder is damaged: $(tail -n 1 "$ANSINH_ARCHIVE/.check.log")"
done
rm -f "$ANSINH_ARCHIVE/.check.log"
log "checked ${#kept[@]} kept backup(s): each matches its SHA-256 and holds its structure"
