#!/bin/bash
# Accepts the flag without revealing it: compares its SHA-256.
read -r submitted
expected=38ce1fb13f84bc07d2a9e9315879ee508996c7a48e858bb0c4160df67ac0d379
[ "$(printf '%s' "$submitted" | sha256sum | cut -d' ' -f1)" = "$expected" ]
