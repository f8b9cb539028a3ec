#!/bin/bash
# The second line is base64.
sed -n 2p note.txt | base64 -d
