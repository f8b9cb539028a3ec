#!/usr/bin/env python3
"""Tries every single-byte key and prints the plaintext that looks like a flag."""
data = open("cipher.bin", "rb").read()
for key in range(256):
    plain = bytes(b ^ key for b in data)
    if plain.startswith(b"flag{"):
        print(plain.decode())
