#!/usr/bin/env python3
"""The Merkle tree of RFC 9162 section 2.1, written from the RFC's text alone, with
Python's standard library: the tree hash MTH, the inclusion proof PATH, the consistency
proof PROOF, and the two verification algorithms of sections 2.1.3.2 and 2.1.4.2.

It is an implementation independent of ansinh's (Sources/EventLog/MerkleTree.swift),
for checking what ansinh publishes; tools/verify-export.py builds on it.

    python3 tools/rfc9162.py cross-check < CASES.json

reads {"leaves": [hex leaf hash, ...], "roots": [hex, ...] (the root of each prefix,
sizes 0 .. n), "inclusion": [[index, size, [hex, ...]], ...], "consistency": [[m, n,
[hex, ...]], ...]}, recomputes every root and proof here, verifies each given proof
with the algorithms above, and prints "ok" and the count, or the first difference
(exit status 1).
"""
import hashlib
import json
import sys


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n):
    """The largest power of 2 smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    """MTH(D[n]) of leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):
    """PATH(m, D[n])."""
    if len(leaves) <= 1:
        return []
    k = split(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, complete):
    """SUBPROOF(m, D[n], b)."""
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = split(n)
    if m <= k:
        return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def proof(m, leaves):
    """PROOF(m, D[n]), 0 < m <= n."""
    return subproof(m, leaves, True)


def shift_until_odd(fn, sn):
    """Shift both right until fn is odd or 0: the RFC's step after a left sibling."""
    while not fn & 1 and fn != 0:
        fn >>= 1
        sn >>= 1
    return fn, sn


def verify_inclusion(index, size, leaf, audit_path, root):
    """Section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in audit_path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = shift_until_odd(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, consistency_path):
    """Section 2.1.4.2, for 0 < first < second; equal sizes need equal roots and no path."""
    if first == second:
        return not consistency_path and first_hash == second_hash
    if not 0 < first < second or not consistency_path:
        return False
    path_ = list(consistency_path)
    if first & (first - 1) == 0:
        path_.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path_[0]
    for c in path_[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = shift_until_odd(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def cross_check(cases):
    leaves = [bytes.fromhex(h) for h in cases["leaves"]]
    roots = [bytes.fromhex(h) for h in cases["roots"]]
    checked = 0
    for size, root in enumerate(roots):
        if mth(leaves[:size]) != root:
            return "the root of the first %d leaves differs" % size, checked
        checked += 1
    for index, size, given in cases["inclusion"]:
        given = [bytes.fromhex(h) for h in given]
        if path(index, leaves[:size]) != given:
            return "the inclusion proof of leaf %d in %d differs" % (index, size), checked
        if not verify_inclusion(index, size, leaves[index], given, roots[size]):
            return "the inclusion proof of leaf %d in %d does not verify" % (index, size), checked
        checked += 1
    for first, second, given in cases["consistency"]:
        given = [bytes.fromhex(h) for h in given]
        if proof(first, leaves[:second]) != given:
            return "the consistency proof from %d to %d differs" % (first, second), checked
        if not verify_consistency(first, second, roots[first], roots[second], given):
            return "the consistency proof from %d to %d does not verify" % (first, second), checked
        checked += 1
    return None, checked


def main(argv):
    if argv[1:] != ["cross-check"]:
        print(__doc__, file=sys.stderr)
        return 2
    problem, checked = cross_check(json.load(sys.stdin))
    if problem:
        print(problem)
        return 1
    print("ok %d" % checked)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
