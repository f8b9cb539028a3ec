#!/bin/bash
strings gatekeeper | grep -o 'flag{[^}]*}'
