# shellcheck shell=bash
# bubblewrap and the tools CTF tasks use, for the sandbox backend (crates/preflight-sandbox)
# and its tests. Source after common.sh.
#
#   sandbox_tools_install   apt-get install whichever of them is missing (needs root)
#
# Sandboxes see the host's /usr read-only, so the tools must be Debian packages under
# /usr: a python3 from pyenv or a JDK in /opt is invisible inside.

# Debian package for each file a sandbox needs.
_SANDBOX_TOOLS=(
    /usr/bin/bwrap:bubblewrap
    /usr/bin/prlimit:util-linux
    /usr/bin/python3:python3
    /usr/bin/python:python-is-python3
    /usr/lib/python3/dist-packages/Cryptodome:python3-pycryptodome
    /usr/lib/python3/dist-packages/gmpy2:python3-gmpy2
    /usr/lib/python3/dist-packages/numpy:python3-numpy
    /usr/lib/python3/dist-packages/tqdm:python3-tqdm
    /usr/bin/file:file
    /usr/bin/strings:binutils
    /usr/bin/xxd:xxd
    /usr/bin/gdb:gdb
    /usr/bin/fls:sleuthkit
    /usr/bin/tshark:tshark
    /usr/bin/nc.openbsd:netcat-openbsd
    /usr/bin/unzip:unzip
    /usr/bin/bzip2:bzip2
    /usr/bin/xz:xz-utils
    /usr/bin/exiftool:libimage-exiftool-perl
    /usr/bin/binwalk:binwalk
    /usr/bin/steghide:steghide
    /usr/bin/java:default-jdk-headless
)

# Packages not in every Debian release: installed when the archive has them.
_SANDBOX_OPTIONAL=(steghide)

sandbox_tools_install() {
    local entry file pkg optional
    local -a missing=()
    for entry in "${_SANDBOX_TOOLS[@]}"; do
        file="${entry%%:*}"
        pkg="${entry#*:}"
        [[ -x "$file" ]] || missing+=("$pkg")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "sandbox tools: all present"
        return 0
    fi
    [[ $EUID -eq 0 ]] || die "sandbox tools missing (${missing[*]}): run as root to install them"

    # tshark's package asks whether non-root users may capture: no.
    if [[ " ${missing[*]} " == *" tshark "* ]]; then
        echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    fi
    # An optional package the archive lacks is dropped, after apt-get update.
    local -a install=()
    for pkg in "${missing[@]}"; do
        optional=0
        [[ " ${_SANDBOX_OPTIONAL[*]} " == *" $pkg "* ]] && optional=1
        if [[ $optional -eq 1 ]]; then
            if [[ "$_PREFLIGHT_APT_UPDATED" != 1 ]]; then
                log "apt-get update"
                DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
                _PREFLIGHT_APT_UPDATED=1
                export _PREFLIGHT_APT_UPDATED
            fi
            if ! apt-cache show "$pkg" >/dev/null 2>&1; then
                warn "$pkg is not in this system's package archive; sandboxes will go without it"
                continue
            fi
        fi
        install+=("$pkg")
    done
    [[ ${#install[@]} -eq 0 ]] && return 0
    apt_install "${install[@]}" >/dev/null
    for entry in "${_SANDBOX_TOOLS[@]}"; do
        file="${entry%%:*}"
        pkg="${entry#*:}"
        if [[ " ${install[*]} " == *" $pkg "* && ! -x "$file" ]]; then
            die "installed $pkg but $file is still missing"
        fi
    done
    log "sandbox tools installed: ${install[*]}"
}
